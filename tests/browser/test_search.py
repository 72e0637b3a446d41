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


# Written with its accent on the page, searched for without it ("metronomo" finds "metrónomo").
METRONOME = ("metrónomo", "metronomo", "biomechanics")


def test_the_spanish_word_is_accented_in_one_topic_only():
    from .conftest import REPO

    accented, plain, slug = METRONOME
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (REPO / "content" / "es").glob("*.md")}
    assert [name for name, text in sorted(texts.items()) if accented in text] == [slug]
    assert not any(plain in text for text in texts.values())


@pytest.mark.parametrize("query", [METRONOME[1], METRONOME[0], "METRONOMO"])
def test_the_spanish_search_finds_a_topic_with_or_without_its_accents(open_tab, expect, query):
    _, _, slug = METRONOME
    tab = open_tab()
    tab.goto(f"es/search.html?q={query}")
    link = tab.page.locator(f'#search-results a[href="{slug}.html"]')
    expect(link).to_have_text(title_of(slug, "es"))
    expect(result_links(tab.page)).to_have_count(1)
    expect(tab.page.locator("html")).to_have_attribute("lang", "es")
    assert tab.watch.problems() == []


def test_the_spanish_result_leads_to_the_spanish_page(open_tab, expect):
    _, plain, slug = METRONOME
    tab = open_tab("phone")
    tab.goto("es/biomechanics.html")
    box = tab.page.locator('form[role="search"] input[name="q"]').first
    box.fill(plain)
    box.press("Enter")
    tab.page.wait_for_url(re.compile(rf"/es/search\.html\?q={plain}$"))
    tab.page.locator(f'#search-results a[href="{slug}.html"]').click()
    tab.page.wait_for_url(re.compile(rf"/es/{slug}\.html$"))
    expect(tab.page.locator("h1")).to_have_text(title_of(slug, "es"))
    assert tab.watch.problems() == []
