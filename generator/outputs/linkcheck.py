"""Every internal link and anchor of the generated website, checked against what it contains.

Content links are checked when pages load; this checks the whole site as it will be published:
the templates' links (navigation, pager, handouts, assets, scripts, forms) and the anchors of
every page, including the ones templates add.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

_REFERENCES = {"a": "href", "link": "href", "img": "src", "script": "src", "form": "action"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        value = attributes.get(_REFERENCES.get(tag, ""))
        if value is not None:
            self.references.append(value)


def broken_site_links(
    pages: Mapping[str, bytes], files: set[str]
) -> Iterator[tuple[str, str, str]]:
    """(page, link, message) for each link of the HTML `pages` that leads nowhere.

    `pages` are the site's HTML files by path; `files` every path the site will contain.
    """
    parsed = {name: _parse(data) for name, data in pages.items() if name.endswith(".html")}
    for name, page in sorted(parsed.items()):
        for reference in dict.fromkeys(page.references):
            target, fragment = _resolve(name, reference)
            if target is None:
                continue
            if target not in files:
                yield name, reference, f"links to '{reference}', which the site does not have"
            elif fragment and target in parsed and fragment not in parsed[target].ids:
                yield (
                    name,
                    reference,
                    f"links to '{reference}', but {target} has no anchor '#{fragment}'",
                )


def _parse(data: bytes) -> _Page:
    page = _Page()
    page.feed(data.decode("utf-8", errors="replace"))
    page.close()
    return page


def _resolve(page: str, reference: str) -> tuple[str | None, str]:
    """The site path a reference from `page` leads to (None if it leaves the site)."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or reference.startswith("/"):
        return None, ""
    if not parts.path:
        return page, unquote(parts.fragment)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    return target, unquote(parts.fragment)
