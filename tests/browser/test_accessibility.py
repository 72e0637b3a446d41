"""axe-core, run in Chromium on every page at a phone and a desktop width, finds nothing."""

from __future__ import annotations

import pytest

from .conftest import PAGES, TRANSLATED_PAGES

pytestmark = pytest.mark.browser

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def describe(violations: list[dict]) -> str:
    """Each violation with what a developer needs to fix it: rule, impact, elements, why."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {summary}")
            lines.append(f"       {node['html'][:160]}")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize(
    "path", [*PAGES, "search.html?q=calcium", *TRANSLATED_PAGES, "es/search.html?q=metronomo"]
)
def test_axe_finds_no_violations(open_tab, axe_script, path, viewport):
    tab = open_tab(viewport)
    tab.goto(path)
    if "?q=" in path:
        tab.page.locator("#search-results li").first.wait_for()
    violations = tab.axe(WCAG_22_AA)
    report = describe(violations)
    if violations:
        print(f"axe, {path} at {viewport} width:\n{report}")
    assert not violations, f"{path} ({viewport}):\n{report}"


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_axe_finds_no_violations_on_the_caseload(open_tab, axe_script, caseload_url, viewport):
    tab = open_tab(viewport, base=caseload_url)
    tab.goto("caseload.html")
    assert tab.page.locator("svg.pain-chart").count() > 0
    violations = tab.axe(WCAG_22_AA)
    report = describe(violations)
    assert not violations, f"caseload.html ({viewport}):\n{report}"
    assert tab.watch.problems() == []
