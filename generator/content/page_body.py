"""A page body converted from Markdown: sanitised HTML and what the site needs to know of it.

The Markdown pipeline (`generator.content.markdown_pipeline`) makes these; pages, the page
cache and the templates use them without loading any Markdown library, so a rebuild that
converts nothing never imports one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CALLOUTS = ("red-flag", "tip", "note")  # the kinds of `!!!` boxes a page may hold
EMBED_KINDS = ("protocol",)  # generated blocks a page may show, as [[kind:name]]


@dataclass(frozen=True)
class Heading:
    """A section heading of a page, for its table of contents."""

    level: int
    id: str
    title: str


@dataclass(frozen=True)
class PageBody:
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
