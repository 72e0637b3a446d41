"""Shared fixtures: scratch projects written from strings, layered project -> library -> build."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.core.project import Project

REPO = Path(__file__).resolve().parents[1]

SETTINGS = """\
[clinic]
name = "Test Clinic & Physio"
phone = "+1 555 0199"
email = "desk@test-clinic.example"
address = "1 Test Road"
website = "https://test-clinic.example"

[site]
title = "Return to running"
base_url = "https://test-clinic.example/run/"
languages = ["en"]

[pdf]
page_size = "A4"

[plans]
topics = ["basics"]
"""

BASICS = """\
---
title: The basics
summary: What a bone stress injury is.
order: 1
reviewed: 2026-10-01
sources:
  - "Hoenig T, et al. Br J Sports Med. 2023;57(7):427-432. <https://bjsm.bmj.com/content/57/7/427>"
---
## What it is

Bone breaks down faster than it can repair[^1].

!!! red-flag
    Pain at night or at rest.

## What to do

Read about [walking first](walking.md#how-long).
"""

WALKING = """\
---
title: Walking first
summary: Walk before you run.
order: 2
---
## How long

Walk for 30 minutes without pain.

!!! tip
    Walk on flat ground.

| Week | Minutes |
| ---- | ------- |
| 1    | 20      |
| 2    | 30      |
"""


@dataclass
class Scratch:
    """A throwaway project in a temporary folder, with the real templates."""

    root: Path

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def page(self, slug: str, text: str) -> Path:
        return self.write(f"content/{slug}.md", text)

    @property
    def project(self) -> Project:
        return Project.at(self.root)

    @property
    def site(self) -> Path:
        return self.root / "output" / "site"

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, ["--project", str(self.root), *args])


def make_scratch(root: Path) -> Scratch:
    """A project with the real templates, protocols and injury sites, test settings, two pages."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "content" / "protocols", root / "content" / "protocols")
    shutil.copy(REPO / "content" / "injury-sites.yaml", root / "content" / "injury-sites.yaml")
    scratch = Scratch(root)
    scratch.write("site.toml", SETTINGS)
    scratch.page("basics", BASICS)
    scratch.page("walking", WALKING)
    return scratch


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    return make_scratch(tmp_path / "project")


def output_files(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path (the build state excepted)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".r2r" not in p.parts
    }


@pytest.fixture(scope="session")
def shipped_handouts(tmp_path_factory: pytest.TempPathFactory):
    """The shipped content's handouts, built once per paper size for the tests that read them:
    `shipped_handouts("Letter")` is the project folder (its output under output/site/)."""
    built: dict[str, Path] = {}

    def build(paper: str) -> Path:
        if paper not in built:
            root = tmp_path_factory.mktemp(f"handouts-{paper}")
            for name in ("content", "templates"):
                shutil.copytree(REPO / name, root / name)
            settings = (REPO / "site.toml").read_text()
            (root / "site.toml").write_text(
                settings.replace('page_size = "A4"', f'page_size = "{paper}"')
            )
            result = CliRunner().invoke(main, ["--project", str(root), "handouts", "--jobs", "2"])
            assert result.exit_code == 0, result.output
            built[paper] = root
        return built[paper]

    return build
