"""Converted pages from earlier builds, reused while their source and the pipeline are the same.

Converting Markdown is most of the cost of a build. A page whose file bytes (by SHA-256) and
whose pipeline (the tool's version, the Markdown and sanitiser versions, the interface text
the pipeline writes) are unchanged converts to the same result, so the result is kept in
`output/.r2r/pages.json`. Only valid pages are kept; a page that references pictures is
reused only while those pictures still exist. The file is plain JSON, never code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from generator.content.page_body import Heading, PageBody
from generator.content.pages import Page, PageMeta
from generator.core.atomic import write_atomic

_FORMAT = 3


class PageCache:
    """Earlier conversions, by page file name; saved only when something changed."""

    def __init__(self, path: Path, pipeline_key: str, *, read_only: bool = False) -> None:
        self.path = path
        self.key = pipeline_key
        self.read_only = read_only
        self._entries = _read(path, pipeline_key)
        self._used: set[str] = set()
        self._changed = False

    def get(self, name: str, digest: str) -> Page | None:
        """The page `name` as converted from a file with this digest, if still valid."""
        entry = self._entries.get(name)
        if entry is None or entry["digest"] != digest:
            return None
        try:
            page = _page(entry["page"])
        except (KeyError, TypeError, ValueError):
            return None
        if not all(path.is_file() for path in page.body.images):
            return None
        self._used.add(name)
        return page

    def put(self, page: Page) -> None:
        """Keep a freshly converted page."""
        self._entries[page.path] = {"digest": page.digest, "page": _plain(page)}
        self._used.add(page.path)
        self._changed = True

    def save(self) -> None:
        """Write the cache if it changed, keeping only the pages used by this build."""
        if self.read_only:
            return
        stale = set(self._entries) - self._used
        if not self._changed and not stale:
            return
        entries = {name: self._entries[name] for name in sorted(self._used)}
        data = {"format": _FORMAT, "pipeline": self.key, "pages": entries}
        write_atomic(self.path, json.dumps(data, separators=(",", ":")).encode(), private=True)


def _read(path: Path, key: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("pipeline") != key:
        return {}
    pages = data.get("pages")
    return pages if isinstance(pages, dict) else {}


def _plain(page: Page) -> dict[str, Any]:
    meta = dataclasses.asdict(page.meta)
    meta["reviewed"] = page.meta.reviewed.isoformat() if page.meta.reviewed else None
    body = page.body
    return {
        "slug": page.slug,
        "path": page.path,
        "digest": page.digest,
        "meta": meta,
        "body": {
            "html": body.html,
            "text": body.text,
            "headings": [dataclasses.astuple(h) for h in body.headings],
            "links": list(body.links),
            "anchors": sorted(body.anchors),
            "images": [str(p) for p in body.images],
            "cited": sorted(body.cited),
            "embeds": list(body.embeds),
        },
    }


def _page(plain: dict[str, Any]) -> Page:
    meta = dict(plain["meta"])
    meta["sources"] = tuple(meta["sources"])
    meta["reviewed"] = dt.date.fromisoformat(meta["reviewed"]) if meta["reviewed"] else None
    body = plain["body"]
    markup = PageBody(
        html=body["html"],
        text=body["text"],
        headings=tuple(Heading(*h) for h in body["headings"]),
        links=tuple(body["links"]),
        anchors=frozenset(body["anchors"]),
        images=tuple(Path(p) for p in body["images"]),
        cited=frozenset(body["cited"]),
        embeds=tuple(body["embeds"]),
    )
    return Page(plain["slug"], plain["path"], PageMeta(**meta), markup, plain["digest"])
