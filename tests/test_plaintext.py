"""The text a patient reads: blocks as sentences, sources left out, and read as a parser would."""

from __future__ import annotations

from html.parser import HTMLParser

import nh3
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.content.markdown_pipeline import MarkdownPipeline
from generator.content.plaintext import readable_text, sentences

LABELS = {
    "sources": "Sources",
    "backlink": "Back to the text",
    "red-flag": "Red flag",
    "tip": "Tip",
    "note": "Note",
}


def test_blocks_become_sentences_and_sources_are_left_out(tmp_path):
    body = MarkdownPipeline(tmp_path, LABELS).render(
        "## Walk first\n\nWalk for 30 minutes[^1]\n\n- Rest a day:\n- Then run &amp; walk!\n\n"
        "| Stage | Run |\n| --- | --- |\n| 1 | 1 min |\n",
        sources=["Warden SJ et al. A secret source title. 2014."],
    )
    assert sentences(body.html) == [
        "Walk first.",
        "Walk for 30 minutes.",
        "Rest a day.",
        "Then run & walk!",
        "Stage.",
        "Run.",
        "1.",
        "1 min.",
    ]
    assert body.text == readable_text(body.html)
    assert "secret" not in body.text and "Sources" not in body.text


def test_the_lead_comes_first():
    assert readable_text("<p>Body</p>", lead="A summary") == "A summary. Body."


class _Reference(HTMLParser):
    """The same reading done by Python's HTML parser: slower, and the standard to match."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"br", "hr", "img", "wbr", "col", "input", "source", "track", "area", "embed"}:
            return
        skipped = tag in {"sup", "script", "style"} or (
            tag == "div" and "footnote" in (dict(attrs).get("class") or "").split()
        )
        self.stack.append((tag, skipped))
        self.skip += skipped
        if tag in BLOCKS:
            self.flush()

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, skipped = self.stack.pop()
            self.skip -= skipped
            if open_tag in BLOCKS:
                self.flush()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)

    def flush(self):
        text = " ".join("".join(self.parts).split())
        self.parts = []
        if text:
            self.found.append(text if text[-1] in ".!?" else text.rstrip(":;,") + ".")


BLOCKS = {
    "p",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
    "blockquote",
    "summary",
    "caption",
}

_pieces = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<li>",
        "</li>",
        "<ul>",
        "</ul>",
        "<sup>",
        "</sup>",
        "<em>",
        "</em>",
        '<div class="footnote">',
        '<div class="note footnote x">',
        "</div>",
        "<br>",
        "<h2>",
        "</h2>",
        '<a href="a.html" title="x > y">',
        "</a>",
        "&amp;",
        "&lt;",
        "&nbsp;",
        "<",
        ">",
        "<!-- c -->",
        "<td>",
        "</td>",
        "<table>",
        "</table>",
        ":",
        ".",
        " ",
        "\n",
    ]
) | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=40))
def test_sanitised_html_reads_as_pythons_html_parser_reads_it(pieces):
    html = nh3.clean(
        "".join(pieces),
        tags=BLOCKS | {"sup", "em", "a", "div", "br", "ul", "table"},
        attributes={"div": {"class"}, "a": {"href", "title"}},
    )
    reference = _Reference()
    reference.feed(html)
    reference.close()
    reference.flush()
    assert sentences(html) == reference.found
