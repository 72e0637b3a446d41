"""Every page of the built site loads in Chromium cleanly, and nothing leaves 127.0.0.1."""

from __future__ import annotations

import pytest

from .conftest import PAGES, TRANSLATED_PAGES

pytestmark = pytest.mark.browser

# What a page's Content-Security-Policy may allow: its own origin, and data: for images only.
ALLOWED_SOURCES = {"'self'", "'none'"}
ALLOWED_DATA = {"img-src"}

PAGE_FACTS = """() => ({
  csp: [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]')]
         .map(meta => meta.content),
  inlineScripts: [...document.querySelectorAll('script:not([src])')]
         .filter(s => !/json/.test(s.type)).map(s => s.outerHTML.slice(0, 120)),
  styleElements: document.querySelectorAll('style').length,
  styleAttributes: [...document.querySelectorAll('[style]')]
         .map(e => e.outerHTML.slice(0, 120)),
  eventHandlers: [...document.querySelectorAll('*')]
         .filter(e => [...e.attributes].some(a => a.name.startsWith('on')))
         .map(e => e.outerHTML.slice(0, 120)),
})"""


def test_the_site_has_exactly_the_expected_pages(built_site):
    built = sorted(p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html"))
    assert built == sorted([*PAGES, *TRANSLATED_PAGES])


@pytest.mark.parametrize("path", [*PAGES, "search.html?q=calcium", *TRANSLATED_PAGES])
def test_page_loads_with_no_errors_and_no_outside_requests(open_tab, path):
    tab = open_tab()
    response = tab.goto(path)
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    assert tab.watch.problems() == [], f"{path}:\n" + "\n".join(tab.watch.problems())


@pytest.mark.parametrize("path", [*PAGES, *TRANSLATED_PAGES])
def test_page_allows_only_its_own_scripts_and_styles(open_tab, path):
    tab = open_tab()
    tab.goto(path, wait_until="load")
    facts = tab.page.evaluate(PAGE_FACTS)
    assert len(facts["csp"]) == 1, f"{path}: Content-Security-Policy meta tags: {facts['csp']}"
    loose = []
    for directive in filter(None, (d.strip() for d in facts["csp"][0].split(";"))):
        name, *sources = directive.split()
        allowed = ALLOWED_SOURCES | ({"data:"} if name in ALLOWED_DATA else set())
        loose += [f"{name} {source}" for source in sources if source not in allowed]
    assert loose == [], f"{path}: the policy allows more than 'self': {loose}"
    assert facts["inlineScripts"] == [], f"{path}: inline scripts"
    assert facts["styleElements"] == 0, f"{path}: <style> elements"
    assert facts["styleAttributes"] == [], f"{path}: style attributes"
    assert facts["eventHandlers"] == [], f"{path}: inline event handlers"


def test_every_page_has_the_search_form(open_tab):
    tab = open_tab()
    missing = []
    for path in PAGES:
        tab.goto(path, wait_until="load")
        form = tab.page.locator('form[role="search"][action="search.html"]')
        if form.locator('input[name="q"]').count() == 0:
            missing.append(path)
    assert missing == [], (
        f"pages without <form role=search action=search.html> + input q: {missing}"
    )
