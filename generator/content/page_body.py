"""A page body converted from Markdown: sanitised HTML and what the site needs to know of it.

The Markdown pipeline (`generator.content.markdown_pipeline`) makes these; pages, the page
cache and the templates use them without loading any Markdown library, so a rebuild that
converts nothing never imports one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CALLOUTS = ("red-flag", "tip", "note")  # the kinds of `!!!` boxes a page may hold
EMBED_KINDS = ("protocol",)  # generated blocks a page may show, as [[kind:name]]

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ATTRIBUTES = {
    "*": {"id"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "div": {"role", "data-embed"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_CLASSES = {
    "div": {"admonition", "footnote", *CALLOUTS},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
    "td": {"align-left", "align-center", "align-right"},
    "th": {"align-left", "align-center", "align-right"},
}
# `file` and `data` are let through the scheme filter only so that our attribute filter can
# see them: it turns them into errors (file:) or drops them (data: links).
_SCHEMES = {"http", "https", "mailto", "tel", "file", "data"}


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


def sanitise(html: str, attribute_filter: Callable[[str, str, str], str | None]) -> str:
    """`html` cleaned by nh3 against the allow-list above; `attribute_filter(tag, attribute,
    value)` sees each attribute kept and returns its value, a new one, or None to drop it."""
    import nh3  # the sanitiser loads only where a page body is made or reshaped

    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes=_SCHEMES,
        link_rel=None,
        attribute_filter=attribute_filter,
    )
