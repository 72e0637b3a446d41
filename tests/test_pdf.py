"""The PDF writer: only data: URIs and files inside the project; tagged, deterministic output."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import pypdf
import pytest

from generator.core.errors import RecordError
from generator.render.pdf_jobs import PdfConfig, Stylesheet, pdf_writer

from .test_build import Recording

pytestmark = pytest.mark.slow

BASE = "https://clinic.example/run/"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "content" / "images").mkdir(parents=True)
    (tmp_path / "content" / "images" / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'
    )
    (tmp_path / "notes.txt").write_text("inside the project")
    return tmp_path


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    Recording.requests = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def writer(project, css: str = "body { font-family: sans-serif }"):
    config = PdfConfig(
        project,
        ((BASE + "images/", project / "content" / "images"),),
        (Stylesheet(css, project.as_uri() + "/"),),
    )
    return pdf_writer(config)


def document(body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Doc</title></head>'
        f"<body><h1>Title</h1>{body}</body></html>"
    )


def test_files_inside_the_project_and_data_uris_are_used(project):
    pdf = writer(project).render(
        document(
            '<img src="images/dot.svg" alt="dot"><img alt="px" src="data:image/svg+xml,'
            '%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%221%22 height=%221%22/%3E">'
        ),
        BASE,
    )
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize(
    "body",
    [
        '<img src="{server}/pixel.png" alt="">',
        '<link rel="attachment" href="{server}/notes.txt">',
        '<a rel="attachment" href="file:///etc/passwd">x</a>',
        '<img src="file:///etc/passwd" alt="">',
        '<img src="images/../../../../etc/passwd" alt="">',
        '<style>@import url("{server}/x.css");</style>',
        '<style>h1 {{ background: url("file:///etc/hostname") }}</style>',
    ],
)
def test_anything_outside_the_project_stops_the_render_and_is_not_fetched(project, server, body):
    with pytest.raises(RecordError) as caught:
        writer(project).render(document(body.format(server=server)), BASE)
    assert "refused to fetch" in str(caught.value)
    assert Recording.requests == []


def test_a_stylesheet_importing_from_the_network_is_refused(project, server):
    from generator.core.errors import ContentError

    with pytest.raises(ContentError):
        writer(project, f'@import url("{server}/x.css");')
    assert Recording.requests == []


def test_output_is_tagged_and_identical_for_identical_input(project, tmp_path):
    html = document("<p>Soreness is acceptable. Pain at the injury site is not.</p>")
    first = writer(project).render(html, BASE)
    second = writer(project).render(html, BASE)
    assert first == second
    target = tmp_path / "doc.pdf"
    target.write_bytes(first)
    reader = pypdf.PdfReader(target)
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject
    assert reader.metadata.title == "Doc"
    assert "Pain at the injury site is not." in reader.pages[0].extract_text()
