"""Printable handouts: one PDF per topic and a booklet of them all, under `site/handouts/`
(`site/<language>/handouts/` for the other languages)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from generator.content.library import Edition, Library
from generator.content.page_body import sanitise
from generator.content.pages import Page
from generator.outputs.documents import Document
from generator.outputs.fingerprints import Digests
from generator.outputs.site import BOOKLET_URL, handout_url

if TYPE_CHECKING:
    import jinja2


def handout_documents(
    library: Library, digests: Digests, environment: Callable[[], jinja2.Environment]
) -> list[Document]:
    """Every language's handouts and booklet, each with its fingerprint and a way to render it."""
    return [
        document
        for edition in library.editions
        for document in edition_documents(library, edition, digests, environment)
    ]


def edition_documents(
    library: Library,
    edition: Edition,
    digests: Digests,
    environment: Callable[[], jinja2.Environment],
) -> list[Document]:
    """One language's handouts and booklet, under `<folder>handouts/`."""
    from generator.render.environment import render

    pages, language, folder = edition.handout_pages, edition.language, edition.folder
    logo = library.settings.logo_path(library.project).as_uri()
    context = {"t": edition.strings, "folder": folder, "logo_src": logo}

    def handout(page: Page) -> str:
        return render(environment(), "pdf/handout.html", page=page, **context)

    docs = [
        Document(
            folder + handout_url(page.slug),
            page.path,
            digests.handout(page, language),
            partial(handout, page),
            base=folder,
            language=language,
        )
        for page in pages
    ]

    def booklet() -> str:
        slugs = frozenset(p.slug for p in pages)
        bodies = {p.slug: localise_anchors(p.body.html, p.slug, slugs) for p in pages}
        return render(environment(), "pdf/booklet.html", pages=pages, bodies=bodies, **context)

    source = f"content/{folder}"
    booklet_digest = digests.booklet(pages, language)
    docs.append(
        Document(
            folder + BOOKLET_URL, source, booklet_digest, booklet, base=folder, language=language
        )
    )
    return docs


def localise_anchors(body: str, prefix: str, local_pages: frozenset[str]) -> str:
    """Make a page body's anchors unique inside a document that holds several pages.

    Ids become `<prefix>--<id>`; links to an anchor of this page or of another page in
    `local_pages` (by slug) become links inside the document. The body is read by the
    sanitiser, which rewrites the attributes as it writes the body out again.
    """

    def rewrite(tag: str, attribute: str, value: str) -> str:
        if attribute == "id":
            return f"{prefix}--{value}"
        if tag != "a" or attribute != "href":
            return value
        page, hash_, fragment = value.partition("#")
        slug = page.removesuffix(".html") if page else prefix
        elsewhere = (page and not page.endswith(".html")) or "/" in page
        if elsewhere or slug not in local_pages | {prefix}:
            return value
        return f"#{slug}--{fragment}" if hash_ else f"#{slug}"

    return sanitise(body, rewrite)
