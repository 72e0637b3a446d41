"""Search, in the browser: a word from a topic's body finds that topic."""

from __future__ import annotations

import re

import pytest

from .conftest import title_of

pytestmark = pytest.mark.browser

# Each word appears in the body of one topic only (the tests check that against the content).
CALCIUM = ("calcium", "nutrition-and-bone-health")
CADENCE = ("cadence", "biomechanics")


def result_links(page):
    return page.locator("#search-results a")


def assert_only_match(expect, page, word, slug):
    link = page.locator(f'#search-results a[href="{slug}.html"]')
    expect(link).to_have_text(title_of(slug))
    expect(result_links(page)).to_have_count(1)


def test_the_words_belong_to_one_topic_each():
    from .conftest import REPO

    for word, slug in (CALCIUM, CADENCE):
        holders = [
            p.stem
            for p in sorted((REPO / "content").glob("*.md"))
            if re.search(rf"\b{word}\b", p.read_text(encoding="utf-8"), re.IGNORECASE)
        ]
        assert holders == [slug], word


def test_search_page_lists_the_topic_for_a_word_in_its_body(open_tab, expect):
    tab = open_tab()
    tab.goto("search.html?q=calcium")
    assert_only_match(expect, tab.page, *CALCIUM)
    expect(tab.page.locator("#search-input")).to_have_value("calcium")
    assert tab.watch.problems() == []


def test_typing_a_word_updates_the_results(open_tab, expect):
    tab = open_tab()
    tab.goto("search.html")
    box = tab.page.locator("#search-input")
    expect(result_links(tab.page)).to_have_count(0)
    box.press_sequentially("cadence", delay=30)
    assert_only_match(expect, tab.page, *CADENCE)
    box.fill("")
    box.press_sequentially("calcium", delay=30)
    assert_only_match(expect, tab.page, *CALCIUM)
    assert tab.watch.problems() == []


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_search_form_on_a_topic_page_leads_to_the_results(open_tab, expect, viewport):
    tab = open_tab(viewport)
    tab.goto("strength-training.html")
    box = tab.page.locator('form[role="search"] input[name="q"]').first
    box.fill("calcium")
    box.press("Enter")
    tab.page.wait_for_url(re.compile(r"/search\.html\?q=calcium$"))
    assert_only_match(expect, tab.page, *CALCIUM)
    assert tab.watch.problems() == []
