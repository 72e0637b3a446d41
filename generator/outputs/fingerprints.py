"""What each output is made from, as hashes: the basis of exact incremental builds.

An output is remade when, and only when, one of its inputs changed. Inputs are grouped so
that a fingerprint is cheap to compute and never misses a dependency (erring, where it is
cheap, on the side of remaking too much):

- the project: the tool itself (its code and the renderers' versions), `site.toml`, every
  file under `templates/` (templates, interface text, stylesheets, fonts), the protocols and
  the injury-site catalogue;
- the navigation: every page's address, title and order (on every page and handout);
- the listing: everything about every page that the home page, the sitemap and the booklet
  show;
- a page: the bytes of its source file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.content.library import Library
from generator.content.pages import Page
from generator.outputs.state import files_digest, fingerprint, sha256
from generator.outputs.versions import tool_digest


@dataclass(frozen=True)
class Digests:
    """The shared input groups of one build."""

    project: str
    navigation: str
    listing: str
    pictures: str  # content/images and the clinic's logo, which PDFs embed

    @classmethod
    def of(cls, library: Library) -> Digests:
        """Hash the inputs every output of `library` depends on."""
        project = library.project
        return cls(
            project=fingerprint(
                tool_digest(),
                _bytes(project.settings_file),
                files_digest([project.templates_dir]),
                files_digest([project.content_dir / "protocols"]),
                _bytes(project.content_dir / "injury-sites.yaml"),
            ),
            navigation=_json(
                [(p.slug, p.title, p.meta.order, p.meta.handout) for p in library.pages]
            ),
            listing=_json(
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
                    for p in library.pages
                ]
            ),
            pictures=fingerprint(
                files_digest([project.images_dir]), _bytes(library.settings.logo_path(project))
            ),
        )

    def page(self, page: Page) -> str:
        """A topic's web page."""
        return fingerprint("page", self.project, self.navigation, page.digest)

    def site_file(self, name: str) -> str:
        """A file of the site that lists the pages (home page, sitemap, robots, theme)."""
        return fingerprint("site", name, self.project, self.listing)

    def handout(self, page: Page) -> str:
        """A topic's printable handout."""
        return fingerprint("handout", self.project, self.pictures, page.digest)

    def booklet(self, pages: Sequence[Page]) -> str:
        """The booklet of all handouts."""
        return fingerprint(
            "booklet", self.project, self.pictures, self.listing, *(p.digest for p in pages)
        )


def _bytes(path: Path) -> bytes:
    try:
        return sha256(path.read_bytes()).encode()
    except OSError:
        return b"missing"


def _json(value: object) -> str:
    return sha256(json.dumps(value, ensure_ascii=False).encode())
