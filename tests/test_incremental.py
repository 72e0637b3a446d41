"""Incremental builds are exact: after any series of changes they equal a clean build, byte for byte."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Scratch, make_scratch, output_files

pytestmark = pytest.mark.slow

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
    "cfc0f01f0005000201a5d1d8a60000000049454e44ae426082"
)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def clean_build_of(project: Scratch, where: Path) -> dict[str, bytes]:
    """Build a copy of `project`'s sources from nothing, and return its site's files."""
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(project.root, where, ignore=shutil.ignore_patterns("output"))
    result = Scratch(where).cli("build", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return output_files(where / "output" / "site")


def steps(root: Path) -> list[tuple[str, Callable[[], None]]]:
    content, templates = root / "content", root / "templates"
    return [
        (
            "edit a page",
            lambda: replace_in(content / "basics.md", "Bone breaks down", "Your bone breaks down"),
        ),
        (
            "add a page with a picture",
            lambda: (
                (content / "images").mkdir(exist_ok=True),
                (content / "images" / "shoe.png").write_bytes(PNG),
                (content / "shoes.md").write_text(
                    "---\ntitle: Shoes\norder: 3\n---\n## Choose\n\n"
                    "![A light shoe](images/shoe.png)\n\n"
                    "[[protocol:low-risk]]\n"
                ),
            ),
        ),
        ("rename a page", lambda: (content / "walking.md").rename(content / "walking-first.md")),
        (
            "change a protocol",
            lambda: replace_in(
                content / "protocols" / "low-risk.yaml",
                "{run: 1, walk: 4, repeats: 4}",
                "{run: 1, walk: 3, repeats: 5}",
            ),
        ),
        (
            "change a template",
            lambda: replace_in(
                templates / "site" / "page.html", "<article>", '<article class="topic">'
            ),
        ),
        (
            "change the settings",
            lambda: replace_in(root / "site.toml", "+1 555 0199", "+1 555 0123"),
        ),
        (
            "change the interface text",
            lambda: replace_in(
                templates / "strings" / "en.yaml", "Print this topic", "Print this page"
            ),
        ),
        (
            "change a stylesheet",
            lambda: (templates / "static" / "css" / "site.css").write_text(
                (templates / "static" / "css" / "site.css").read_text()
                + "\n.topic { margin: 0; }\n"
            ),
        ),
        (
            "change a picture",
            lambda: (content / "images" / "shoe.png").write_bytes(
                PNG.replace(b"\x01\xa5", b"\x01\xa6")
            ),
        ),
        (
            "delete a page and its picture",
            lambda: ((content / "shoes.md").unlink(), (content / "images" / "shoe.png").unlink()),
        ),
        ("reorder the pages", lambda: replace_in(content / "basics.md", "order: 1", "order: 9")),
    ]


def test_every_rebuild_equals_a_clean_build(tmp_path):
    project = make_scratch(tmp_path / "project")
    assert project.cli("build").exit_code == 0
    for label, change in steps(project.root):
        change()
        result = project.cli("build", "--jobs", "1")
        assert result.exit_code == 0, (label, result.output)
        incremental = output_files(project.site)
        clean = clean_build_of(project, tmp_path / "clean")
        assert incremental.keys() == clean.keys(), label
        assert [name for name in clean if clean[name] != incremental[name]] == [], label
        again = project.cli("build", "--jobs", "1")
        assert "0 written, 0 removed" in again.output and "handouts: 0 made" in again.output, label


def test_a_rebuild_after_one_edit_remakes_only_that_page(scratch):
    assert scratch.cli("build").exit_code == 0
    replace_in(
        scratch.root / "content" / "walking.md", "Walk for 30 minutes", "Walk for 35 minutes"
    )
    result = scratch.cli("build", "--verbose")
    # the page itself and the search index, which holds its text
    assert "site: 21 files, 2 written, 0 removed" in result.output, result.output
    assert (
        "handouts: 2 made, 0 failed, 1 up to date" in result.output
    )  # its handout and the booklet


def test_a_damaged_output_is_remade(scratch):
    assert scratch.cli("build").exit_code == 0
    (scratch.site / "basics.html").write_text("damaged")
    (scratch.site / "handouts" / "walking.pdf").unlink()
    result = scratch.cli("build")
    assert "1 written" in result.output and "handouts: 1 made" in result.output
    assert "Bone breaks down" in (scratch.site / "basics.html").read_text()


def test_a_new_version_of_the_markdown_converter_remakes_what_it_made(scratch, monkeypatch):
    import generator.outputs.versions as versions

    assert scratch.cli("build").exit_code == 0
    installed = versions.package_version

    def upgraded(distribution: str, module: str | None = None) -> str:
        return "99.0" if distribution == "Markdown" else installed(distribution, module)

    monkeypatch.setattr(versions, "package_version", upgraded)
    versions.tool_digest.cache_clear()
    try:
        result = scratch.cli("build", "--verbose")
    finally:
        versions.tool_digest.cache_clear()
    assert result.exit_code == 0, result.output
    assert "handouts: 3 made, 0 failed, 0 up to date" in result.output, result.output
