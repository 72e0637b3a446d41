"""The library: every input of a build, read and validated before anything is written."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from generator.content.injury_sites import InjurySite, load_injury_sites
from generator.content.page_body import CALLOUTS
from generator.content.pages import Page, PageStore, load_pages
from generator.content.pictures import picture_problems
from generator.content.protocols import Protocol, load_protocols, protocol_for_tier
from generator.content.settings import Settings, load_settings
from generator.content.strings import Strings, load_strings
from generator.core.errors import ContentError, Problem
from generator.core.project import Project

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Edition:
    """The site in one language: its interface text, its pages, and where it is published."""

    language: str
    strings: Strings
    pages: tuple[Page, ...]
    folder: str  # relative to the site root: "" for the default language, else "<language>/"

    def page(self, slug: str) -> Page | None:
        """The page called `slug`, if there is one."""
        return self._by_slug.get(slug)

    @cached_property
    def _by_slug(self) -> dict[str, Page]:
        # every page looks up its counterparts: one dict, not a search per page and language
        return {page.slug: page for page in self.pages}

    @property
    def handout_pages(self) -> tuple[Page, ...]:
        """The pages that have a printable handout, in reading order."""
        return tuple(p for p in self.pages if p.meta.handout)

    @property
    def root(self) -> str:
        """The way from a file of this edition's folder back to the site root: "" or "../"."""
        return "../" * self.folder.count("/")


@dataclass(frozen=True)
class Library:
    """Settings, interface text, pages, protocols and injury sites of one project, all valid.

    `strings` and `pages` are the default language's; `editions` holds every language's,
    the default first.
    """

    project: Project
    settings: Settings
    strings: Strings
    pages: tuple[Page, ...]
    protocols: Mapping[str, Protocol]
    injury_sites: Mapping[str, InjurySite]
    editions: tuple[Edition, ...]

    def page(self, slug: str) -> Page | None:
        """The page called `slug`, if there is one."""
        return next((p for p in self.pages if p.slug == slug), None)

    @property
    def handout_pages(self) -> tuple[Page, ...]:
        """The pages that have a printable handout, in reading order."""
        return tuple(p for p in self.pages if p.meta.handout)

    @property
    def translations(self) -> tuple[Edition, ...]:
        """The editions of the languages other than the default."""
        return self.editions[1:]


def load_library(
    project: Project, *, store: PageStore | None = None, jobs: int | None = None
) -> Library:
    """Read settings, interface text, pages, protocols and injury sites; validate them together.

    Settings problems raise `SettingsError`. Content problems raise `ContentError` listing
    every problem of every page, protocol and site at once. (Broken internal links are not
    errors: see `broken_links`.) Pages unchanged since `store` kept them are not converted.
    """
    settings = load_settings(project)
    strings = load_strings(project.templates_dir, settings.site.language)
    labels = markup_labels(strings)
    languages = settings.site.languages
    problems: list[Problem] = []
    no_pages: tuple[Page, ...] = ()
    no_protocols: dict[str, Protocol] = {}
    no_sites: dict[str, InjurySite] = {}
    pages = _gather(
        problems,
        lambda: tuple(load_pages(project.content_dir, labels, store=store, jobs=jobs)),
        no_pages,
    )
    counted = len(problems)
    protocols = _gather(
        problems,
        lambda: load_protocols(project.content_dir / "protocols", languages=languages),
        no_protocols,
    )
    protocols_valid, counted = len(problems) == counted, len(problems)
    sites = _gather(
        problems,
        lambda: load_injury_sites(project.content_dir / "injury-sites.yaml", languages=languages),
        no_sites,
    )
    sites_valid = len(problems) == counted
    if not pages and not problems:
        problems.append(Problem("content/", "has no pages: add a Markdown file (*.md)"))
    problems += picture_problems(project.images_dir, "content/images")
    # Checks across parts only between parts that loaded: one broken protocol file must not
    # also read as "no protocol for the high-risk sites".
    if protocols_valid:
        problems += _embed_problems(pages, protocols)
    if protocols_valid and sites_valid:
        problems += _tier_problems(protocols, sites)
    slugs = {page.slug for page in pages}
    problems += [
        Problem("site.toml", f"plans.topics: there is no page content/{slug}.md")
        for slug in settings.plans.topics
        if pages and slug not in slugs
    ]
    translations = [
        _translation(problems, project, language, store=store, jobs=jobs)
        for language in settings.site.languages[1:]
    ]
    if problems:
        raise ContentError(problems)
    log.info(
        "read site.toml, %d page(s) in content/, %d protocol(s), %d injury site(s), "
        "interface text for %s",
        len(pages),
        len(protocols),
        len(sites),
        ", ".join(settings.site.languages),
    )
    default = Edition(settings.site.language, strings, pages, "")
    editions = (default, *(edition for edition in translations if edition is not None))
    return Library(project, settings, strings, pages, protocols, sites, editions)


def _translation(
    problems: list[Problem],
    project: Project,
    language: str,
    *,
    store: PageStore | None,
    jobs: int | None,
) -> Edition | None:
    """The edition of a language other than the default: `content/<language>/*.md`."""
    folder = project.content_dir / language
    try:
        strings = load_strings(project.templates_dir, language)
        pages = load_pages(
            folder,
            markup_labels(strings),
            store=store,
            jobs=jobs,
            label=f"content/{language}",
            images_dir=project.images_dir,
        )
    except ContentError as error:
        problems.extend(error.problems)
        return None
    if not pages:
        problems.append(
            Problem(
                f"content/{language}/",
                f"has no pages: translate a page into it, or take {language!r} out of "
                "site.languages in site.toml",
            )
        )
        return None
    return Edition(language, strings, tuple(pages), f"{language}/")


T = TypeVar("T")


def _gather(problems: list[Problem], load: Callable[[], T], empty: T) -> T:
    try:
        return load()
    except ContentError as error:
        problems.extend(error.problems)
        return empty


def _embed_problems(pages: Sequence[Page], protocols: Mapping[str, Protocol]) -> list[Problem]:
    return [
        Problem(
            page.path, f"shows [[protocol:{name}]], but there is no content/protocols/{name}.yaml"
        )
        for page in pages
        for embed in page.body.embeds
        for name in [embed.partition(":")[2]]
        if name not in protocols
    ]


def _tier_problems(
    protocols: Mapping[str, Protocol], sites: Mapping[str, InjurySite]
) -> list[Problem]:
    """Each tier the sites use needs the one protocol that `protocol: auto` picks for it."""
    problems = []
    for tier in sorted({site.tier for site in sites.values()}):
        if protocol_for_tier(protocols, tier) is not None:
            continue
        made_for = [p.name for p in protocols.values() if p.tier == tier]
        if not made_for:
            message = (
                f"no protocol says 'tier: {tier}': the {tier}-risk sites need one "
                "(protocol: auto picks it)"
            )
        else:
            message = (
                f"several protocols are made for {tier}-risk sites ({', '.join(made_for)}): "
                "mark exactly one of them 'default: true' (protocol: auto picks it)"
            )
        problems.append(Problem("content/protocols/", message))
    return problems


def markup_labels(strings: Strings) -> dict[str, str]:
    """The interface text the Markdown pipeline writes into pages."""
    content = strings.content
    labels = {"sources": content.sources, "backlink": content.backlink}
    return labels | {kind: content.callout(kind) for kind in CALLOUTS}


def broken_links(pages: Sequence[Page]) -> Iterator[Problem]:
    """Internal links to a page or an anchor that does not exist."""
    anchors = {p.url: p.body.anchors for p in pages}
    anchors["index.html"] = frozenset()
    for page in pages:
        for link in page.body.links:
            target, _, fragment = link.partition("#")
            target = target or page.url
            if target not in anchors:
                yield Problem(
                    page.path,
                    f"links to '{link}', but there is no page '{target.removesuffix('.html')}.md'",
                )
            elif fragment and fragment not in anchors[target]:
                yield Problem(
                    page.path, f"links to '{link}', but that page has no section '#{fragment}'"
                )
