"""The public website: one HTML page per topic, a home page, assets and a sitemap."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .content import Page
from .library import Library
from .outputs import OutputTree
from .templating import render

LOGO_NAME = "clinic-logo"


@dataclass
class SiteReport:
    """What a site build did."""

    files: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def handout_url(slug: str) -> str:
    """Where a topic's printable handout is published, relative to the site root."""
    return f"handouts/{slug}.pdf"


BOOKLET_URL = "handouts/booklet.pdf"


def logo_url(library: Library) -> str:
    """Where the clinic's logo is published, relative to the site root."""
    return f"assets/{LOGO_NAME}{library.settings.logo_path(library.project).suffix.lower()}"


def render_site(library: Library, env: jinja2.Environment) -> dict[str, bytes]:
    """Every generated file of the website, by path: all rendered before anything is written."""
    common: dict[str, Any] = {
        "pages": library.pages, "logo_src": logo_url(library), "booklet_url": BOOKLET_URL,
        "handout_url": handout_url,
    }
    files = {"index.html": render(env, "site/index.html", **common)}
    for page, previous, following in _neighbours(library.pages):
        files[page.url] = render(env, "site/page.html", page=page, previous=previous,
                                 next=following, **common)
    files["sitemap.xml"] = render(env, "site/sitemap.xml", **common)
    files["robots.txt"] = render(env, "site/robots.txt")
    files["assets/css/theme.css"] = render(env, "site/theme.css")
    return {name: text.encode() for name, text in files.items()}


def asset_files(library: Library) -> dict[str, Path]:
    """The files the website copies from the project, by their path on the site."""
    project = library.project
    files = {f"assets/{p.relative_to(project.static_dir).as_posix()}": p
             for p in _files_under(project.static_dir)}
    files |= {f"images/{p.relative_to(project.images_dir).as_posix()}": p
              for p in _files_under(project.images_dir)}
    files[logo_url(library)] = library.settings.logo_path(project)
    return files


def write_site(library: Library, generated: dict[str, bytes], tree: OutputTree) -> SiteReport:
    """Write the rendered files and the copied assets that changed; remove what is gone."""
    copied = asset_files(library)
    for name, data in generated.items():
        tree.write(name, data)
    for name, source in copied.items():
        tree.write(name, source.read_bytes())
    removed = tree.finish()
    return SiteReport(len(generated) + len(copied), tree.written, removed)


def _neighbours(pages: tuple[Page, ...]) -> Iterator[tuple[Page, Page | None, Page | None]]:
    for index, page in enumerate(pages):
        previous = pages[index - 1] if index > 0 else None
        following = pages[index + 1] if index + 1 < len(pages) else None
        yield page, previous, following


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
