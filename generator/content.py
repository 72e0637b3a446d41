"""Content pages: `content/<slug>.md`, YAML front matter then Markdown."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import checks
from .errors import ContentError, Problem
from .markup import MarkdownPipeline, Markup, MarkupError
from .schema import Invalid, load, spec
from .yamlio import YamlProblem, parse_yaml

MAX_PAGE_BYTES = 1_000_000
RESERVED_SLUGS = frozenset({"index", "404", "search", "sitemap", "robots", "assets", "images",
                            "handouts"})


@dataclass(frozen=True)
class PageMeta:
    """A page's front matter."""

    title: str = spec(doc="The page title.", check=checks.one_line)
    summary: str = spec("", doc="One or two sentences shown on the home page and in search.")
    order: int = spec(1000, doc="Position among the topics: lower comes first.")
    section: str = spec("", doc="The group the topic belongs to on the home page.",
                        check=checks.one_line)
    reviewed: dt.date | None = spec(None, doc="When a clinician last reviewed the page.")
    sources: tuple[str, ...] = spec((), doc="The sources of the page's figures, cited as [^1], ...")
    handout: bool = spec(True, doc="Whether the page has a printable handout.")


@dataclass(frozen=True)
class Page:
    """A topic page, validated and converted."""

    slug: str
    path: str  # as the author names it, e.g. content/nutrition.md
    meta: PageMeta
    body: Markup
    digest: str  # sha256 of the source file

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def url(self) -> str:
        """The page's address relative to the site root."""
        return f"{self.slug}.html"


def load_pages(content_dir: Path, pipeline: MarkdownPipeline, *,
               label: str = "content") -> list[Page]:
    """Load every `*.md` page, in reading order; raise `ContentError` listing every problem."""
    pages: list[Page] = []
    problems: list[Problem] = []
    for path in sorted(content_dir.glob("*.md")):
        name = f"{label}/{path.name}"
        try:
            pages.append(load_page(path, name, pipeline))
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    return sorted(pages, key=lambda p: (p.meta.order, p.title.casefold(), p.slug))


def load_page(path: Path, name: str, pipeline: MarkdownPipeline) -> Page:
    """Load one page file; `name` is how messages refer to it."""
    problems = [p.within(name) for p in _slug_problems(path.stem)]
    meta: PageMeta | None = None
    raw, body = b"", ""
    try:
        raw = _read(path)
        front, body, _ = split_front_matter(_decode(raw))
        meta = load(PageMeta, parse_yaml(front, first_line=2))
    except YamlProblem as error:
        problems.append(error.problem.within(name))
    except Invalid as invalid:
        problems.extend(p.within(name) for p in invalid.problems)
    except ContentError as error:
        problems.extend(p.within(name) for p in error.problems)
    if meta is None or problems:
        raise ContentError(problems)
    try:
        markup = pipeline.render(body, sources=meta.sources)
    except MarkupError as error:
        raise ContentError(Problem(name, m) for m in error.messages) from None
    return Page(path.stem, name, meta, markup, hashlib.sha256(raw).hexdigest())


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Split a page into (front matter, body, line number where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError([Problem("", "has no front matter: the file must start with a line "
                                        "'---', then 'title: ...', then another '---'")])
    for number, line in enumerate(lines[1:], 2):
        if line.strip() in ("---", "..."):
            return "".join(lines[1 : number - 1]), "".join(lines[number:]), number + 1
    raise ContentError([Problem("", "front matter is not closed: add a line '---' after it")])


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            limit = MAX_PAGE_BYTES // 1000
            message = f"is {size // 1000} kB; a page may be at most {limit} kB, split it up"
            raise ContentError([Problem("", message)])
        return path.read_bytes()
    except OSError as error:
        raise ContentError([Problem("", f"cannot be read: {error.strerror}")]) from None


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError([Problem("", f"is not UTF-8 text (bad byte at position "
                                          f"{error.start}); save it as UTF-8")]) from None
    if "\x00" in text:
        raise ContentError([Problem("", "contains binary data, not text")])
    return text


def _slug_problems(stem: str) -> Iterator[Problem]:
    message = checks.slug(stem)
    if message:
        yield Problem("", f"file name {message} (it becomes the page's web address)")
    elif stem in RESERVED_SLUGS:
        yield Problem("", f"the name '{stem}' is reserved for the site; rename the file")
