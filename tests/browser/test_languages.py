"""The language switch in Chromium: visible beside the search box at both widths, and it leads
to the same topic in the other language."""

from __future__ import annotations

import re

import pytest

from .conftest import LANGUAGES, title_of

pytestmark = pytest.mark.browser

SLUG = "biomechanics"


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_switch_is_visible_in_the_header_and_crowds_nothing(open_tab, expect, viewport):
    tab = open_tab(viewport)
    tab.goto(f"{LANGUAGES[1]}/{SLUG}.html")
    switch = tab.page.locator(".language-switch")
    expect(switch).to_be_visible()
    header = tab.page.locator(".site-header").bounding_box()
    boxes = {
        "switch": switch.bounding_box(),
        "search": tab.page.locator(".site-search").bounding_box(),
        "brand": tab.page.locator(".brand").bounding_box(),
    }
    for name, box in boxes.items():
        assert box is not None and header is not None, name
        assert (
            box["y"] >= header["y"] and box["y"] + box["height"] <= header["y"] + header["height"]
        )
        assert box["x"] >= 0 and box["x"] + box["width"] <= tab.page.viewport_size["width"], name
    assert not overlap(boxes["switch"], boxes["search"])
    assert not overlap(boxes["switch"], boxes["brand"])
    # a link a finger can hit: at least 24 CSS pixels each way (WCAG 2.2 target size)
    link = switch.locator("a").first.bounding_box()
    assert link is not None and link["height"] >= 24 and link["width"] >= 24
    assert tab.watch.problems() == []


def test_the_switch_leads_to_the_same_topic_in_the_other_language(open_tab, expect):
    second = LANGUAGES[1]
    tab = open_tab()
    tab.goto(f"{SLUG}.html")
    tab.page.locator(f'.language-switch a[hreflang="{second}"]').click()
    tab.page.wait_for_url(re.compile(rf"/{second}/{SLUG}\.html$"))
    expect(tab.page.locator("h1")).to_have_text(title_of(SLUG, second))
    expect(tab.page.locator("html")).to_have_attribute("lang", second)
    tab.page.locator(f'.language-switch a[hreflang="{LANGUAGES[0]}"]').click()
    tab.page.wait_for_url(re.compile(rf"/{SLUG}\.html$"))
    expect(tab.page.locator("h1")).to_have_text(title_of(SLUG))
    assert tab.watch.problems() == []
