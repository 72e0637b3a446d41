"""The public website: one HTML page per topic, a home page, assets and a sitemap."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.content.library import Edition, Library
from generator.content.pages import Page
from generator.content.pictures import read_picture
from generator.core.errors import ContentError
from generator.core.files import Unreadable, read_bytes
from generator.outputs.fingerprints import Digests
from generator.outputs.search import search_index
from generator.outputs.state import OutputTree

if TYPE_CHECKING:
    import jinja2

LOGO_NAME = "clinic-logo"
MAX_ASSET_BYTES = 50_000_000  # a stylesheet, a script or a font of the templates
BOOKLET_URL = "handouts/booklet.pdf"
# Files that list or search one language's pages, in that language's folder, with the
# template each is rendered from (None: data).
EDITION_FILES: dict[str, str | None] = {
    "index.html": "site/index.html",
    "search.html": "site/search.html",
    "404.html": "site/404.html",
    "search-index.js": None,
}
# Files of the whole site, at its root, whatever the languages.
ROOT_FILES: dict[str, str] = {
    "sitemap.xml": "site/sitemap.xml",
    "robots.txt": "site/robots.txt",
    "assets/css/theme.css": "site/theme.css",
}


@dataclass(frozen=True)
class LanguageLink:
    """A page's counterpart in one language: for hreflang links and the language switch."""

    language: str
    name: str  # the language's name in itself, by Babel: "English", "Español"
    href: str  # from the page: its counterpart, or that language's home page if it has none
    url: str  # absolute; empty when the language has no counterpart of the page
    current: bool


@dataclass
class SiteReport:
    """What a site build did."""

    files: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def handout_url(slug: str) -> str:
    """Where a topic's printable handout is published, relative to the site root."""
    return f"handouts/{slug}.pdf"


def logo_url(library: Library) -> str:
    """Where the clinic's logo is published, relative to the site root."""
    return f"assets/{LOGO_NAME}{library.settings.logo_path(library.project).suffix.lower()}"


def render_site(
    library: Library,
    digests: Digests,
    tree: OutputTree | None,
    environment: Callable[[], jinja2.Environment],
) -> dict[str, tuple[bytes, str]]:
    """The generated files of the website that are not current in `tree` (all without one).

    Returns {path: (bytes, inputs)}; everything is rendered before anything is written.
    `environment` makes the Jinja environment, only if something must be rendered. Each
    language's pages, home, search and 404 pages and search index are in its folder.
    """
    stale: dict[str, tuple[Callable[[], str], str]] = {}
    for edition in library.editions:
        stale |= _stale_edition(library, edition, digests, tree, environment)
    common = _context(library, library.editions[0], "index.html")
    common["sitemap"] = sitemap_entries(library)
    for name, template in ROOT_FILES.items():
        inputs = digests.site_file(name, None)
        if tree is None or not tree.current(name, inputs):
            stale[name] = (_renderer(template, common, environment), inputs)
    return {name: (render().encode(), inputs) for name, (render, inputs) in stale.items()}


def _stale_edition(
    library: Library,
    edition: Edition,
    digests: Digests,
    tree: OutputTree | None,
    environment: Callable[[], jinja2.Environment],
) -> dict[str, tuple[Callable[[], str], str]]:
    stale: dict[str, tuple[Callable[[], str], str]] = {}
    nav: list[str] = []
    language = edition.language
    for page, previous, following in _neighbours(edition.pages):
        inputs = digests.page(page, language)
        name = edition.folder + page.url
        if tree is None or not tree.current(name, inputs):
            context = _context(library, edition, page.url)
            stale[name] = (
                _page_renderer(page, previous, following, nav, context, environment),
                inputs,
            )
    for file, template in EDITION_FILES.items():
        inputs = digests.site_file(file, language)
        name = edition.folder + file
        if tree is None or not tree.current(name, inputs):
            render = (
                _renderer(template, _context(library, edition, file), environment)
                if template
                else partial(search_index, edition.pages)
            )
            stale[name] = (render, inputs)
    return stale


@dataclass(frozen=True)
class SitemapEntry:
    """A page of the sitemap, with its counterparts in the other languages."""

    url: str
    reviewed: str  # ISO date, or empty
    alternates: tuple[LanguageLink, ...]


def sitemap_entries(library: Library) -> list[SitemapEntry]:
    """Every language's home page and topic pages, for the sitemap."""
    base = library.settings.site.base_url
    several = len(library.editions) > 1
    entries = []
    for edition in library.editions:
        named = [("index.html", "", None), *((p.url, p.url, p) for p in edition.pages)]
        for name, address, page in named:
            reviewed = page.meta.reviewed if page is not None else None
            links = language_links(library, edition, name) if several else ()
            entries.append(
                SitemapEntry(
                    base + edition.folder + address,
                    reviewed.isoformat() if reviewed else "",
                    tuple(link for link in links if link.url),
                )
            )
    return entries


@cache
def language_name(language: str) -> str:
    """A language's name in itself, by Babel, as a switch shows it: "English", "Español"."""
    from babel import Locale

    name = Locale.parse(language, sep="-").get_display_name(language) or language
    return name[:1].upper() + name[1:]


def language_links(library: Library, edition: Edition, name: str) -> tuple[LanguageLink, ...]:
    """Every language's counterpart of the file `name` of `edition` (a page or a listing)."""
    base = library.settings.site.base_url
    links = []
    for other in library.editions:
        slug = name.removesuffix(".html")
        exists = name in EDITION_FILES or other.page(slug) is not None
        target = name if exists else "index.html"
        address = "" if name == "index.html" else name  # a home page is its folder's address
        links.append(
            LanguageLink(
                language=other.language,
                name=language_name(other.language),
                href=edition.root + other.folder + target,
                url=base + other.folder + address if exists else "",
                current=other.language == edition.language,
            )
        )
    return tuple(links)


@dataclass(frozen=True)
class Asset:
    """A file the website copies from the project: from the trusted templates as it is, or
    a picture (content/images, the logo) as its checked copy."""

    path: Path
    folder: Path  # the folder it must lie inside
    picture: bool
    name: str  # how messages name it: its path in the project

    def data(self) -> bytes:
        """The bytes to publish; `ContentError` naming the file if it cannot be."""
        try:
            if self.picture:
                return read_picture(self.path, folder=self.folder)
            return read_bytes(self.path, folder=self.folder, limit=MAX_ASSET_BYTES)
        except Unreadable as unreadable:
            raise ContentError([unreadable.problem.within(self.name)]) from None


def asset_files(library: Library) -> dict[str, Asset]:
    """The files the website copies from the project, by their path on the site."""
    project = library.project
    static, images = project.static_dir, project.images_dir

    def asset(path: Path, folder: Path, picture: bool) -> Asset:
        return Asset(path, folder, picture, path.relative_to(project.root).as_posix())

    files = {
        f"assets/{p.relative_to(static).as_posix()}": asset(p, static, False)
        for p in _files_under(static)
    }
    files |= {
        f"images/{p.relative_to(images).as_posix()}": asset(p, images, True)
        for p in _files_under(images)
    }
    files[logo_url(library)] = asset(library.settings.logo_path(project), project.root, True)
    return files


def write_site(
    library: Library, generated: dict[str, tuple[bytes, str]], tree: OutputTree
) -> SiteReport:
    """Write the rendered files and the copied assets that changed; remove what is gone."""
    copied = asset_files(library)
    assets = {name: asset.data() for name, asset in copied.items()}  # all read, or none written
    for name, (data, inputs) in generated.items():
        tree.write(name, data, inputs)
    for name, data in assets.items():
        tree.write(name, data)
    removed = tree.finish()
    pages = sum(len(edition.pages) + len(EDITION_FILES) for edition in library.editions)
    return SiteReport(pages + len(ROOT_FILES) + len(copied), tree.written, removed)


def _context(library: Library, edition: Edition, name: str) -> dict[str, Any]:
    """What the templates of the file `name` of `edition` are given."""
    return {
        "pages": edition.pages,
        "t": edition.strings,
        "lang": edition.language,
        "root": edition.root,
        "folder": edition.folder,
        "languages": language_links(library, edition, name) if len(library.editions) > 1 else (),
        "editions": library.editions,
        "logo_src": edition.root + logo_url(library),
        "booklet_url": BOOKLET_URL,
        "handout_url": handout_url,
    }


def _renderer(
    template: str, context: dict[str, Any], environment: Callable[[], jinja2.Environment]
) -> Callable[[], str]:
    from generator.render.environment import render

    return lambda: render(environment(), template, **context)


def _page_renderer(
    page: Page,
    previous: Page | None,
    following: Page | None,
    nav: list[str],
    context: dict[str, Any],
    environment: Callable[[], jinja2.Environment],
) -> Callable[[], str]:
    from generator.render.environment import render

    def render_page() -> str:
        if not nav:  # the same for every page: rendered once per build
            nav.append(render(environment(), "site/nav.html", **context))
        current = nav[0].replace(f'href="{page.url}"', f'href="{page.url}" aria-current="page"')
        return render(
            environment(),
            "site/page.html",
            page=page,
            previous=previous,
            next=following,
            nav=current,
            **context,
        )

    return render_page


def _neighbours(pages: tuple[Page, ...]) -> Iterator[tuple[Page, Page | None, Page | None]]:
    for index, page in enumerate(pages):
        previous = pages[index - 1] if index > 0 else None
        following = pages[index + 1] if index + 1 < len(pages) else None
        yield page, previous, following


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
