"""A page body converted from Markdown: sanitised HTML and what the site needs to know of it.

`generator.mdpipeline` makes these from Markdown; this module holds what the rest of the tool
uses (it imports no Markdown library, so a rebuild that converts nothing never loads one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CALLOUTS = ("red-flag", "tip", "note")
EMBED_KINDS = ("protocol",)
# A generated block (a protocol table) as the sanitised body holds it.
EMBED = re.compile(r'<div data-embed="([a-z]+):([a-z0-9-]+)"></div>')
# A tag with its attributes (values quoted or not), a comment, a run of text, or a stray "<".
# It reads the sanitiser's output exactly, and the converter's well enough to shape it before
# it is sanitised; it is several times faster than `html.parser`, which matters at a thousand
# pages.
HTML_TOKEN = re.compile(
    r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)"""
    r"""\s*/?>|<!--.*?(?:-->|\Z)|([^<]+)|(<)""",
    re.S,
)


@dataclass(frozen=True)
class Heading:
    """A section heading of a page, for its table of contents."""

    level: int
    id: str
    title: str


@dataclass(frozen=True)
class Markup:
    """A page body converted and sanitised, with what the site needs to know about it."""

    html: str
    text: str  # what a patient reads, one sentence per block (see generator.plaintext)
    headings: tuple[Heading, ...]
    links: tuple[str, ...]  # internal links, as "slug.html#anchor" or "#anchor"
    anchors: frozenset[str]
    images: tuple[Path, ...]  # pictures used, as files under content/images/
    cited: frozenset[int]  # numbers of the sources the text cites
    embeds: tuple[str, ...] = ()  # generated blocks the page shows, as "kind:name"


class MarkupError(Exception):
    """The Markdown cannot be published as it is; `messages` says why, one line each."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("; ".join(self.messages))


_ANCHOR_ATTRIBUTE = re.compile(r'\b(id|href)="([^"]*)"')


def localise_anchors(body: str, prefix: str, local_pages: frozenset[str]) -> str:
    """Make a page body's anchors unique inside a document that holds several pages.

    Ids become `<prefix>--<id>`; links to an anchor of this page or of another page in
    `local_pages` (by slug) become links inside the document. Works on sanitised HTML only,
    where every attribute is double-quoted.
    """

    def rewrite(match: re.Match[str]) -> str:
        attribute, value = match.groups()
        if attribute == "id":
            return f'id="{prefix}--{value}"'
        page, hash_, fragment = value.partition("#")
        slug = page.removesuffix(".html") if page else prefix
        elsewhere = (page and not page.endswith(".html")) or "/" in page
        if elsewhere or slug not in local_pages | {prefix}:
            return match.group(0)
        if not hash_:
            return f'href="#{slug}"'
        return f'href="#{slug}--{fragment}"'

    return _ANCHOR_ATTRIBUTE.sub(rewrite, body)
