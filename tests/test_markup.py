"""The Markdown pipeline: features, sanitising, and references outside the project refused."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from generator.content.markdown_pipeline import MarkdownPipeline
from generator.content.pages import MarkupError
from generator.outputs.handouts import localise_anchors

LABELS = {
    "sources": "Sources",
    "backlink": "Back to the text",
    "red-flag": "Red flag",
    "tip": "Tip",
    "note": "Note",
}


@pytest.fixture
def pipeline(tmp_path):
    (tmp_path / "content" / "images").mkdir(parents=True)
    (tmp_path / "content" / "images" / "shoe.png").write_bytes(b"\x89PNG")
    (tmp_path / "secret.txt").write_text("secret")
    return MarkdownPipeline(tmp_path / "content", LABELS)


class Elements(HTMLParser):
    """Every start tag with its attributes, from real HTML parsing."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def attributes(self) -> set[str]:
        return {name for _, attrs in self.found for name in attrs}

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.found}


def test_tables_anchors_callouts_and_sources(pipeline):
    markup = pipeline.render(
        '## Start here\nRest first[^2].\n\n!!! red-flag\n    Night pain.\n\n!!! tip "Go slow"\n'
        "    Easy.\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n![A shoe](images/shoe.png)\n",
        sources=["One.", "Two <https://example.org/two>"],
    )
    html = markup.html
    assert '<h2 id="start-here">Start here</h2>' in html
    assert '<div class="admonition red-flag" role="note">' in html
    assert '<p class="admonition-title">Red flag</p>' in html
    assert '<p class="admonition-title">Go slow</p>' in html
    assert '<th class="align-left">a</th>' in html
    assert '<h2 id="sources">Sources</h2>' in html
    assert '<a href="https://example.org/two">https://example.org/two</a>' in html
    assert [h.title for h in markup.headings] == ["Start here", "Sources"]
    assert markup.cited == {2}
    assert markup.images[0].name == "shoe.png"


def test_sources_that_are_not_cited_keep_no_dangling_backlink(pipeline):
    html = pipeline.render("Text[^1].", sources=["One", "Two"]).html
    assert 'href="#fnref:1"' in html
    assert 'href="#fnref:2"' not in html


def test_links_to_pages_become_site_links_and_are_recorded(pipeline):
    markup = pipeline.render(
        "[a](walking.md) [b](./walking.md#how-long) [c](#top) "
        "[d](https://example.org) [e](mailto:a@b.example)"
    )
    assert markup.links == ("walking.html", "walking.html#how-long", "#top")
    assert 'href="walking.html#how-long"' in markup.html


def test_scripts_handlers_and_dangerous_links_are_removed(pipeline):
    html = pipeline.render(
        '<p onclick="steal()" style="color:red">Hi</p>\n\n<script>alert(1)</script>\n\n'
        '[js](javascript:alert(1)) <a href="data:text/html,<b>x</b>">data</a> '
        '<iframe src="https://example.org"></iframe><form action="/x"><input name="q"></form>'
        '<link rel="attachment" href="secret.txt"><a rel="attachment" href="notes.txt">n</a>'
        "<style>body{background:url(https://example.org/x.png)}</style>"
        '<svg onload="x()"><circle/></svg><object data="x.swf"></object>'
    ).html
    elements = Elements(html)
    assert not elements.tags() & {
        "script",
        "iframe",
        "form",
        "input",
        "link",
        "style",
        "svg",
        "object",
    }
    assert not {a for a in elements.attributes() if a.startswith("on")}
    assert "style" not in elements.attributes() and "rel" not in elements.attributes()
    assert all(
        not (attrs.get("href") or "").startswith(("javascript:", "data:"))
        for _, attrs in elements.found
    )
    assert "alert" not in html and "https://example.org/x.png" not in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# Title", "uses a top-level heading ('# ')"),
        (
            "![x](http://example.org/x.png)",
            "uses a picture from outside the project (http://example.org/x.png)",
        ),
        (
            '<img src="file:///etc/passwd">',
            "uses a picture from outside the project (file:///etc/passwd)",
        ),
        ("[x](file:///etc/passwd)", "links to a file on this computer (file:///etc/passwd)"),
        ("![x](../secret.txt)", "uses a picture outside content/images/ (../secret.txt)"),
        ("![x](images/missing.png)", "uses a picture that does not exist (images/missing.png)"),
        ("!!! warning\n    x", "has an unknown callout '!!! warning' (use red-flag, tip, note)"),
        ("Cited[^3].", "cites [^3] but the page lists 1 source(s)"),
        ("[^a]: my note", "defines a footnote [^a]"),
    ],
)
def test_problems_are_errors_with_a_plain_message(pipeline, text, message):
    with pytest.raises(MarkupError) as caught:
        pipeline.render(text, sources=["One"])
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages


def test_localised_anchors_make_pages_share_one_document():
    body = (
        '<h2 id="why">Why</h2><a href="#why">x</a><a href="walking.html#how">y</a>'
        '<a href="walking.html">z</a><a href="other.html#q">o</a><a href="https://e.org/a.html">e</a>'
    )
    assert localise_anchors(body, "basics", frozenset({"basics", "walking"})) == (
        '<h2 id="basics--why">Why</h2><a href="#basics--why">x</a><a href="#walking--how">y</a>'
        '<a href="#walking">z</a><a href="other.html#q">o</a><a href="https://e.org/a.html">e</a>'
    )


def test_callouts_nest_hold_markdown_and_are_only_text_inside_code(pipeline):
    html = pipeline.render(
        '!!! note "Before *you* run"\n    - one\n    - two\n\n    !!! tip\n        Inner.\n\n'
        "After.\n\n```\n!!! warning\n    not a callout\n```\n"
    ).html
    assert html.count('<div class="admonition') == 2
    assert '<p class="admonition-title">Before <em>you</em> run</p>' in html
    assert "<li>one</li>" in html and "<p>Inner.</p>" in html
    assert "<p>After.</p>" in html
    assert "<pre><code>!!! warning\n    not a callout\n</code></pre>" in html


def test_sources_that_look_like_blocks_stay_one_line_of_text(pipeline):
    html = pipeline.render(
        "A[^1] b[^2] c[^3].",
        sources=["2019. Smith J. *Bone*.", "# Not a heading", "<https://example.org/x>"],
    ).html
    assert '<li id="fn:1">\n<p>2019. Smith J. <em>Bone</em>.' in html
    assert "<p># Not a heading" in html
    assert '<a href="https://example.org/x">https://example.org/x</a>' in html


def test_citations_are_numbered_in_reading_order_and_left_alone_in_code(pipeline):
    html = pipeline.render("One[^1] `[^1]` two[^1].\n\n    [^1]\n", sources=["S"]).html
    assert html.index('id="fnref:1"') < html.index('id="fnref2:1"')
    assert "<code>[^1]</code>" in html and "<pre><code>[^1]\n</code></pre>" in html
    assert 'href="#fnref:1"' in html and 'href="#fnref2:1"' in html


def test_repeated_headings_get_distinct_anchors(pipeline):
    markup = pipeline.render("## Rest\n\n## Rest\n\n## Rest_1\n\n## Sources\n", sources=["S"])
    assert [h.id for h in markup.headings] == ["rest", "rest_1", "rest_2", "sources_1", "sources"]


def test_localised_anchors_change_attributes_never_text_that_looks_like_one():
    body = '<p>Write id="why" or href="#why" to link.</p><h2 id="why">Why</h2>'
    assert localise_anchors(body, "basics", frozenset({"basics"})) == (
        '<p>Write id="why" or href="#why" to link.</p><h2 id="basics--why">Why</h2>'
    )
