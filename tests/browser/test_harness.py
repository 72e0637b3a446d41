"""The checks themselves catch what they are for, on pages made to fail them."""

from __future__ import annotations

import pytest

from .conftest import serve_folder
from .test_accessibility import WCAG_22_AA
from .test_html_validation import check

pytestmark = pytest.mark.browser

HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title>{}</head>'
CSP = """<meta http-equiv="Content-Security-Policy" content="default-src 'self'">"""
PAGES = {
    "outside.html": HEAD.format("Outside", "")
    + '<body><main><h1>Outside</h1><img alt="" src="http://example.invalid/x.png">'
    '<link rel="stylesheet" href="https://fonts.example.invalid/font.css"></main></body></html>',
    "inline.html": HEAD.format("Inline", CSP)
    + "<body><main><h1>Inline</h1><script>document.title = 'ran';</script></main></body></html>",
    "broken.html": HEAD.format("Broken", CSP)
    + '<body><main><h1>Broken</h1><img src="photo.png"><script src="missing.js"></script>'
    "<p><div>block in a paragraph</div></p></main></body></html>",
}


@pytest.fixture(scope="module")
def bad_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-site")
    for name, html in PAGES.items():
        (folder / name).write_text(html, encoding="utf-8")
    server, url = serve_folder(folder)
    yield folder, url
    server.shutdown()
    server.server_close()


def test_requests_leaving_loopback_are_recorded_and_blocked(open_tab, bad_site):
    tab = open_tab(base=bad_site[1])
    tab.goto("outside.html")
    assert sorted(tab.watch.outside_requests) == [
        "http://example.invalid/x.png",
        "https://fonts.example.invalid/font.css",
    ]


def test_a_script_the_policy_refuses_is_a_console_error(open_tab, bad_site):
    tab = open_tab(base=bad_site[1])
    tab.goto("inline.html")
    assert tab.page.title() == "Inline"
    assert any("Content Security Policy" in error for error in tab.watch.console_errors), (
        tab.watch.problems()
    )


def test_a_missing_file_is_a_failed_load(open_tab, bad_site):
    tab = open_tab(base=bad_site[1])
    tab.goto("broken.html")
    assert any("missing.js: HTTP 404" in failure for failure in tab.watch.failed_loads), (
        tab.watch.problems()
    )


def test_axe_reports_an_image_without_alt(open_tab, axe_script, bad_site):
    tab = open_tab(base=bad_site[1])
    tab.goto("broken.html")
    assert "image-alt" in [violation["id"] for violation in tab.axe(WCAG_22_AA)]


def test_vnu_reports_invalid_html(vnu, bad_site):
    folder = bad_site[0]
    errors = check(vnu, folder, "html", [folder / "broken.html"])
    assert any("broken.html" in error and "“alt”" in error for error in errors), errors
    assert any("broken.html" in error and "“p”" in error for error in errors), errors
