"""The Nu Html Checker (vnu.jar from the npm registry, on the system's Java) finds no errors."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import TRANSLATED_PAGES

pytestmark = pytest.mark.browser


def check(vnu, site, kind, files):
    """Run the checker on `files`; its error lines, with paths relative to the site."""
    assert files, f"no {kind} files in {site}"
    result = subprocess.run(
        [*vnu, f"--{kind}", "--errors-only", "--format", "gnu", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = (result.stdout + result.stderr).replace(f"file:{site}/", "")
    errors = [
        line
        for line in output.splitlines()
        if ": error" in line or ": fatal" in line or "Exception" in line
    ]
    if result.returncode != 0 and not errors:
        errors = [f"vnu exited with status {result.returncode}:", *output.splitlines()]
    return errors


def test_every_html_page_is_valid(vnu, built_site):
    files = sorted(built_site.rglob("*.html"))
    # every language's pages, the translations' folders too
    assert set(TRANSLATED_PAGES) <= {f.relative_to(built_site).as_posix() for f in files}
    errors = check(vnu, built_site, "html", files)
    assert errors == [], f"vnu found {len(errors)} errors:\n" + "\n".join(errors)


def test_every_stylesheet_is_valid_css(vnu, built_site):
    errors = check(vnu, built_site, "css", sorted(built_site.rglob("*.css")))
    assert errors == [], "\n".join(errors)


def test_every_svg_is_valid(vnu, built_site):
    errors = check(vnu, built_site, "svg", sorted(built_site.rglob("*.svg")))
    assert errors == [], "\n".join(errors)


def test_the_caseload_page_is_valid(vnu, caseload_plans):
    errors = check(vnu, caseload_plans, "html", [caseload_plans / "caseload.html"])
    assert errors == [], f"vnu found {len(errors)} errors:\n" + "\n".join(errors)
