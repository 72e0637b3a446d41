"""The shipped program: every handout fits on two pages, on A4 and Letter, and the booklet holds all."""

from __future__ import annotations

import shutil

import pypdf
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content.library import load_library
from generator.core.project import Project

from .conftest import REPO

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_every_handout_fits_on_two_pages_and_the_booklet_holds_them_all(tmp_path, paper):
    for name in ("content", "templates"):
        shutil.copytree(REPO / name, tmp_path / name)
    settings = (REPO / "site.toml").read_text()
    (tmp_path / "site.toml").write_text(
        settings.replace('page_size = "A4"', f'page_size = "{paper}"')
    )
    result = CliRunner().invoke(main, ["--project", str(tmp_path), "handouts", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    handouts = tmp_path / "output" / "site" / "handouts"
    pages = load_library(Project.at(tmp_path)).pages
    lengths = {
        page.slug: len(pypdf.PdfReader(handouts / f"{page.slug}.pdf").pages) for page in pages
    }
    assert {slug: n for slug, n in lengths.items() if n > 2} == {}
    titles = {page.title for page in pages}
    starts = [
        text.strip().splitlines()[0]
        for text in (p.extract_text() for p in pypdf.PdfReader(handouts / "booklet.pdf").pages)
    ]
    assert [line for line in starts if line in titles] == [page.title for page in pages]
