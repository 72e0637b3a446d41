"""Whole builds, read back from their outputs: HTML parsed, PDF text and metadata extracted."""

from __future__ import annotations

import shutil
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import ClassVar

import pypdf
import pytest

from .conftest import make_scratch, output_files

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    """The links, headings and text of an HTML page, from real parsing."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []
        self._href: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._open.append(tag)
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._open and self._open[-1] == "a" and self._href is not None:
            self.links.append((self._href, data.strip()))
            self._href = None
        if self._open and self._open[-1] in ("h1", "h2", "h3"):
            self.headings.append(data.strip())

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def pdf_text(path) -> str:
    reader = pypdf.PdfReader(path)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_build_makes_the_site_and_the_handouts(scratch):
    result = scratch.cli("build")
    assert result.exit_code == 0, result.output
    site = scratch.site
    for name in [
        "index.html",
        "basics.html",
        "walking.html",
        "sitemap.xml",
        "robots.txt",
        "assets/css/site.css",
        "assets/clinic-logo.svg",
        "handouts/basics.pdf",
        "handouts/walking.pdf",
        "handouts/booklet.pdf",
    ]:
        assert (site / name).is_file(), name

    home = Page((site / "index.html").read_text())
    topic_links = [link for link in home.links if link[0] in ("basics.html", "walking.html")]
    assert topic_links[:2] == [("basics.html", "The basics"), ("walking.html", "Walking first")]
    assert (
        "handouts/booklet.pdf",
        "The whole program as one printable booklet (PDF)",
    ) in home.links

    page = Page((site / "basics.html").read_text())
    assert ("handouts/basics.pdf", "Print this topic (PDF handout)") in page.links
    assert ("walking.html#how-long", "walking first") in page.links
    assert page.headings[:5] == [
        "The basics",
        "On this page",
        "What it is",
        "What to do",
        "Sources",
    ]
    assert "Test Clinic & Physio" in page.plain and "+1 555 0199" in page.plain
    assert (
        "This is education. It supports, but does not replace, the advice of your treating"
        in page.plain
    )
    assert ("tel:+15550199", "+1 555 0199") in page.links

    sitemap = (site / "sitemap.xml").read_text()
    assert (
        "<loc>https://test-clinic.example/run/basics.html</loc><lastmod>2026-10-01</lastmod>"
        in sitemap
    )


def test_handouts_hold_the_headings_footer_and_metadata(scratch):
    assert scratch.cli("handouts").exit_code == 0
    handout = scratch.site / "handouts" / "basics.pdf"
    text = pdf_text(handout)
    for expected in [
        "The basics",
        "What it is",
        "What to do",
        "Red flag: stop and call the clinic",
        "Sources",
        "Hoenig T, et al.",
        "Test Clinic & Physio · +1 555 0199 · Education, not a diagnosis.",
        "Page 1 of 1",
    ]:
        assert expected in text, expected
    reader = pypdf.PdfReader(handout)
    catalog = reader.trailer["/Root"]
    assert reader.metadata.title == "The basics"
    assert reader.metadata.author == "Test Clinic & Physio"
    assert catalog["/Lang"] == "en"
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject
    assert "/StructTreeRoot" in catalog

    booklet = pdf_text(scratch.site / "handouts" / "booklet.pdf")
    assert "Contents" in booklet and "The basics" in booklet and "Walking first" in booklet
    assert booklet.index("What it is") < booklet.index("How long")


def test_two_builds_are_byte_identical_even_in_another_folder(tmp_path):
    first = make_scratch(tmp_path / "one")
    second = make_scratch(tmp_path / "two")
    assert first.cli("build").exit_code == 0
    assert second.cli("build").exit_code == 0
    one, two = output_files(first.site), output_files(second.site)
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []


def test_a_rebuild_with_nothing_changed_rewrites_no_file(scratch):
    assert scratch.cli("build").exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in scratch.site.rglob("*") if p.is_file()}
    result = scratch.cli("build")
    assert result.exit_code == 0
    assert "0 written, 0 removed" in result.output and "handouts: 0 made" in result.output
    assert {p: p.stat().st_mtime_ns for p in scratch.site.rglob("*") if p.is_file()} == before


def test_an_edit_remakes_what_changed_and_a_deleted_page_disappears(scratch):
    assert scratch.cli("build").exit_code == 0
    (scratch.root / "content" / "walking.md").unlink()
    scratch.page(
        "basics",
        (scratch.root / "content" / "basics.md")
        .read_text()
        .replace("[walking first](walking.md#how-long)", "the next topic")
        .replace("## What to do", "## What you can do"),
    )
    clean = make_scratch(scratch.root.parent / "clean")
    shutil.copy(scratch.root / "content" / "basics.md", clean.root / "content" / "basics.md")
    (clean.root / "content" / "walking.md").unlink()

    assert scratch.cli("build").exit_code == 0
    assert clean.cli("build").exit_code == 0
    assert not (scratch.site / "walking.html").exists()
    assert not (scratch.site / "handouts" / "walking.pdf").exists()
    assert "What you can do" in pdf_text(scratch.site / "handouts" / "basics.pdf")
    assert output_files(scratch.site) == output_files(clean.site)


class Recording(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        Recording.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"\x89PNG")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    Recording.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("reference", ["{server}/x.png", "file:///etc/passwd"])
def test_a_page_reaching_outside_the_project_fails_and_nothing_is_fetched(
    scratch, http_server, reference
):
    url = reference.format(server=http_server)
    scratch.page("leaky", f"---\ntitle: Leaky\n---\n![x]({url})\n")
    result = scratch.cli("build")
    assert result.exit_code == 2
    assert (
        f"error: content/leaky.md: uses a picture from outside the project ({url})" in result.output
    )
    assert Recording.requests == []
    assert not (scratch.root / "output").exists()


def test_scripts_handlers_and_javascript_links_are_published_without_them(scratch):
    scratch.page(
        "hostile",
        """\
        ---
        title: Hostile
        ---
        <p onclick="steal()">Click me</p>

        <script>document.location='https://evil.example'</script>

        [A link](javascript:alert(document.cookie))
        """,
    )
    assert scratch.cli("site").exit_code == 0
    html = (scratch.site / "hostile.html").read_text()
    page = Page(html)
    assert "Click me" in page.plain and "A link" in page.plain
    assert "onclick" not in html and "<script" not in html and "javascript:" not in html
    assert "evil.example" not in html


def test_a_bad_front_matter_key_exits_2_naming_file_and_key_and_writes_nothing(scratch):
    scratch.page("typo", "---\ntitle: Typo\nsumary: oops\n---\nBody\n")
    result = scratch.cli("build")
    assert result.exit_code == 2
    assert "error: content/typo.md: sumary: unknown key (did you mean 'summary'?)" in result.output
    assert not (scratch.root / "output").exists()


def test_a_content_error_keeps_the_previous_good_site(scratch):
    assert scratch.cli("build").exit_code == 0
    before = output_files(scratch.site)
    scratch.page("typo", "---\ntitle: Typo\nsumary: oops\n---\nBody\n")
    assert scratch.cli("build").exit_code == 2
    assert output_files(scratch.site) == before


def test_letter_paper_from_the_settings(scratch):
    settings = scratch.root / "site.toml"
    settings.write_text(settings.read_text().replace('page_size = "A4"', 'page_size = "Letter"'))
    assert scratch.cli("handouts").exit_code == 0
    box = (
        pypdf.PdfReader(BytesIO((scratch.site / "handouts" / "basics.pdf").read_bytes()))
        .pages[0]
        .mediabox
    )
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
