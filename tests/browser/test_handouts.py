"""The handout links, followed in the browser, give PDFs."""

from __future__ import annotations

import pytest

from .conftest import HANDOUT_TOPICS

pytestmark = pytest.mark.browser


def assert_link_downloads_a_pdf(tab, href):
    """The link is there once; saving it (Alt+click) downloads a PDF the server serves as one."""
    link = tab.page.locator(f'a[href="{href}"]')
    assert link.count() >= 1, f"{tab.page.url}: no link to {href}"
    url = link.first.evaluate("a => a.href")

    response = tab.page.request.get(url)
    assert response.status == 200, f"{url}: HTTP {response.status}"
    assert response.headers["content-type"].split(";")[0].strip() == "application/pdf", url

    # Chromium shows a PDF in its viewer on a plain click; Alt+click saves the link target.
    with tab.page.expect_download() as download_info:
        link.first.click(modifiers=["Alt"])
    download = download_info.value
    assert download.failure() is None, f"{url}: {download.failure()}"
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    with open(download.path(), "rb") as saved:
        assert saved.read(5) == b"%PDF-", f"{url}: not a PDF"


@pytest.mark.parametrize("slug", HANDOUT_TOPICS)
def test_topic_page_handout_link_downloads_a_pdf(open_tab, slug):
    tab = open_tab()
    tab.goto(f"{slug}.html")
    assert_link_downloads_a_pdf(tab, f"handouts/{slug}.pdf")


def test_home_page_booklet_link_downloads_a_pdf(open_tab):
    tab = open_tab()
    tab.goto("index.html")
    assert_link_downloads_a_pdf(tab, "handouts/booklet.pdf")
