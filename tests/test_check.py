"""`r2r check`: per-page grades and editorial warnings, --strict, and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.outputs.check import check

from .conftest import REPO


def test_check_reports_each_page_and_writes_nothing(scratch):
    result = scratch.cli("check")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["page", "measure", "score", "sources", "reviewed", "warnings"]
    assert lines[1].split()[:2] == ["content/basics.md", "flesch_kincaid_grade"]
    assert lines[1].split()[3:] == [
        "1",
        "2026-10-01",
        "0",
    ]
    assert not (scratch.root / "output").exists()


def test_editorial_problems_are_warnings(scratch):
    scratch.page(
        "walking",
        (scratch.root / "content" / "walking.md")
        .read_text()
        .replace("order: 2", 'order: 2\nreviewed: 2024-01-05\nsources: ["A", "B"]')
        .replace("Walk for 30 minutes without pain.", "Walk for 30 minutes without pain[^2]."),
    )
    scratch.page(
        "dense",
        "---\ntitle: Dense\nreviewed: 2027-01-01\n---\n"
        "Notwithstanding considerable heterogeneity, multidisciplinary rehabilitation "
        "methodologies substantially ameliorate musculoskeletal pathophysiology. "
        "[Gone](gone.md)\n",
    )
    report = check(scratch.project, today=dt.date(2026, 11, 23))
    found = {r.page.slug: r.warnings for r in report.pages}
    assert found["basics"] == []
    assert found["walking"] == [
        "source 1 is never cited in the text (cite it as [^1])",
        "was last reviewed on 2024-01-05, more than a year ago",
    ]
    assert found["dense"][0].startswith("reading grade ") and "above 8" in found["dense"][0]
    assert found["dense"][1:] == [
        "lists no sources: add the sources of its figures",
        "has a 'reviewed' date in the future (2027-01-01)",
        "links to 'gone.html', but there is no page 'gone.md'",
    ]
    strict = scratch.cli("check", "--strict")
    assert strict.exit_code == 1
    assert (
        "warning: content/walking.md: was last reviewed on 2024-01-05, more than a year ago"
        in strict.output
    )


def test_check_fails_on_errors_like_a_build(scratch):
    scratch.page("bad", "---\ntitle: Bad\nauthor: me\n---\n")
    result = scratch.cli("check")
    assert result.exit_code == 2
    assert "error: content/bad.md: author: unknown key" in result.output


@pytest.mark.slow
def test_the_shipped_content_passes_a_strict_check():
    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["--project", str(REPO), "check", "--strict"])
    assert result.exit_code == 0, result.output


def test_the_whole_site_is_checked_for_links_and_anchors(scratch):
    page = scratch.root / "templates" / "site" / "page.html"
    page.write_text(
        page.read_text().replace(
            "<article>", '<article><a href="guide.pdf">guide</a> <a href="#top-of-page">top</a>'
        )
    )
    home = scratch.root / "templates" / "site" / "index.html"
    home.write_text(
        home.read_text().replace(
            '<p class="lead">', '<p><a href="basics.html#no-such-part">part</a></p><p class="lead">'
        )
    )
    report = check(scratch.project, today=dt.date(2026, 11, 23))
    found = {r.page.slug: r.warnings for r in report.pages}
    assert found["basics"] == [
        "its page basics.html links to 'guide.pdf', which the site does not have (from a template)",
        "its page basics.html links to '#top-of-page', but basics.html has no anchor "
        "'#top-of-page' (from a template)",
    ]
    assert report.site == [
        "index.html (templates): links to 'basics.html#no-such-part', but basics.html has no "
        "anchor '#no-such-part'"
    ]
    assert not (scratch.root / "output").exists()
