"""What each output is made from, as hashes: the basis of exact incremental builds.

An output is remade when, and only when, one of its inputs changed. Inputs are grouped so
that a fingerprint is cheap to compute and never misses a dependency (erring, where it is
cheap, on the side of remaking too much):

- the project: the tool itself (its code and the renderers' versions), `site.toml`, every
  file under `templates/` (templates, interface text, stylesheets, fonts), the protocols and
  the injury-site catalogue;
- the navigation, per language: every page's address, title and order (on every page and
  handout), and which pages each language has (a page links its counterparts);
- the listing, per language: everything about every page that the home page, the search page
  and the booklet show (the sitemap shows every language's);
- a page: the bytes of its source file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.content.library import Library
from generator.content.pages import Page
from generator.outputs.state import files_digest, fingerprint, sha256
from generator.outputs.versions import tool_digest


@dataclass(frozen=True)
class Digests:
    """The shared input groups of one build; `navigation` and `listing` by language."""

    project: str
    navigation: Mapping[str, str]  # with every language's page names (the hreflang links)
    listings: Mapping[str, str]
    pictures: str  # content/images and the clinic's logo, which PDFs embed

    @classmethod
    def of(cls, library: Library) -> Digests:
        """Hash the inputs every output of `library` depends on."""
        project = library.project
        names = _json([(e.language, [p.slug for p in e.pages]) for e in library.editions])
        return cls(
            project=fingerprint(
                tool_digest(),
                _bytes(project.settings_file),
                files_digest([project.templates_dir]),
                files_digest([project.content_dir / "protocols"]),
                _bytes(project.content_dir / "injury-sites.yaml"),
            ),
            navigation={
                e.language: fingerprint(names, _navigation(e.pages)) for e in library.editions
            },
            listings={e.language: fingerprint(names, _listing(e.pages)) for e in library.editions},
            pictures=fingerprint(
                files_digest([project.images_dir]), _bytes(library.settings.logo_path(project))
            ),
        )

    @property
    def listing(self) -> str:
        """Every language's listing together."""
        return fingerprint(*(f"{key}={value}" for key, value in sorted(self.listings.items())))

    def page(self, page: Page, language: str) -> str:
        """A topic's web page."""
        return fingerprint("page", language, self.project, self.navigation[language], page.digest)

    def site_file(self, name: str, language: str | None) -> str:
        """A file of the site that lists the pages of `language` (home page, search), or of
        every language (None: sitemap, robots, theme)."""
        listing = self.listing if language is None else self.listings[language]
        return fingerprint("site", name, language or "", self.project, listing)

    def handout(self, page: Page, language: str) -> str:
        """A topic's printable handout."""
        return fingerprint("handout", language, self.project, self.pictures, page.digest)

    def booklet(self, pages: Sequence[Page], language: str) -> str:
        """The booklet of all handouts of one language."""
        return fingerprint(
            "booklet",
            language,
            self.project,
            self.pictures,
            self.listings[language],
            *(p.digest for p in pages),
        )


def _navigation(pages: Sequence[Page]) -> str:
    return _json([(p.slug, p.title, p.meta.order, p.meta.handout) for p in pages])


def _listing(pages: Sequence[Page]) -> str:
    return _json(
        [
            (
                p.slug,
                p.title,
                p.meta.order,
                p.meta.handout,
                p.meta.summary,
                p.meta.section,
                str(p.meta.reviewed),
                p.digest,
            )
            for p in pages
        ]
    )


def _bytes(path: Path) -> bytes:
    try:
        return sha256(path.read_bytes()).encode()
    except OSError:
        return b"missing"


def _json(value: object) -> str:
    return sha256(json.dumps(value, ensure_ascii=False).encode())
