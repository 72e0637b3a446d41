"""The site as a clinic's patients use it: from a folder, on a phone, with footnotes and menus."""

from __future__ import annotations

import pytest

from .conftest import TOPICS, title_of

pytestmark = pytest.mark.browser


def test_search_works_from_a_folder(open_tab, expect, built_site):
    tab = open_tab(base=built_site.as_uri() + "/")
    tab.goto("search.html?q=calcium", wait_until="load")
    link = tab.page.locator('#search-results a[href="nutrition-and-bone-health.html"]')
    expect(link).to_have_text(title_of("nutrition-and-bone-health"))
    assert tab.watch.problems() == []


def test_search_says_so_when_its_index_cannot_load(open_tab, expect):
    tab = open_tab()
    tab.page.route("**/search-index.js", lambda route: route.abort("failed"))
    tab.goto("search.html?q=calcium", wait_until="load")
    status = tab.page.locator("#search-status")
    expect(status).to_have_text("Search could not load here. Browse the topics below instead.")
    expect(tab.page.locator("#search-input")).to_be_disabled()


SEPARATORS = """() => [...document.querySelectorAll('sup[id^="fnref"]')].map(sup => {
    const before = getComputedStyle(sup, '::before').content;
    const previous = sup.previousSibling;
    const touching = previous && previous.nodeType === 1 && previous.matches('sup[id^="fnref"]');
    return {before, touching, gap: parseFloat(getComputedStyle(sup).marginLeft)};
})"""


def test_no_footnote_separator_between_footnotes_with_words_between(open_tab):
    tab = open_tab()
    refs = []
    for slug in TOPICS:
        tab.goto(f"{slug}.html", wait_until="load")
        refs += tab.page.evaluate(SEPARATORS)
    apart = [ref for ref in refs if not ref["touching"]]
    assert len(apart) > 10
    for ref in refs:
        assert ref["before"] in ("none", "normal"), ref  # no comma, nor any other character
    # one gap for every number, alone or side by side: none marks a pair that is not one
    assert {ref["gap"] for ref in refs} == {refs[0]["gap"]} and refs[0]["gap"] > 0


CELLS = """() => [...document.querySelectorAll('.protocol tbody th, .protocol tbody td')]
    .filter(cell => cell.getClientRects().length > 0)
    .map(cell => ({height: cell.getBoundingClientRect().height,
                   line: parseFloat(getComputedStyle(cell).lineHeight),
                   text: cell.textContent.trim()}))"""

COLUMNS = """() => [...document.querySelectorAll('.protocol table')].map(table => {
    const heads = table.tHead.rows[0].cells.length;
    const filled = Array.from({length: heads}, (_, i) =>
        [...table.tBodies[0].rows].some(row => row.cells[i] && row.cells[i].textContent.trim()));
    return filled;
})"""


def test_protocol_tables_read_on_a_phone(open_tab):
    tab = open_tab("phone")
    tab.goto("run-walk-program.html", wait_until="load")
    tab.page.evaluate("document.fonts.ready.then(() => true)")
    cells = tab.page.evaluate(CELLS)
    assert len(cells) > 30
    for cell in cells:
        assert cell["height"] <= 2 * cell["line"] + 1, cell
    for table in tab.page.evaluate(COLUMNS):
        assert all(table), table  # no column without a single entry
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_topic_navigation_is_one_row_on_a_desktop(open_tab, expect):
    tab = open_tab("desktop")
    tab.goto("basics.html" if "basics" in TOPICS else f"{TOPICS[0]}.html", wait_until="load")
    nav = tab.page.locator(".site-nav")
    summary = tab.page.locator(".site-nav-menu > summary")
    row = summary.bounding_box()["height"]
    assert nav.bounding_box()["height"] <= row + 16
    links = tab.page.locator(".site-nav a")
    expect(links.first).to_be_hidden()
    summary.click()
    expect(links).to_have_count(len(TOPICS))
    expect(links.last).to_be_visible()
    boxes = [links.nth(i).bounding_box() for i in range(len(TOPICS))]
    assert len({round(box["x"]) for box in boxes}) >= 2  # in columns when open
