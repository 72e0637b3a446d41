"""Content pages: `content/<slug>.md`, YAML front matter then Markdown."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from generator.content.page_body import MarkupError, PageBody
from generator.core import validators
from generator.core.batch import Setup, Task, default_jobs, run_batch
from generator.core.errors import ContentError, Problem
from generator.core.files import Unreadable, decode, read_bytes
from generator.core.schema import Invalid, load, spec
from generator.core.yamlio import YamlProblem, parse_yaml

if TYPE_CHECKING:
    from generator.content.markdown_pipeline import MarkdownPipeline

MAX_PAGE_BYTES = 1_000_000
MAX_SECONDS_PER_PAGE = 30  # a real page converts in milliseconds
# The sanitiser is native code that the time limit cannot interrupt, and its time grows faster
# than the nesting of the HTML it is given (190,000 nested <div> took two minutes): raw HTML
# nested deeper than this is refused before anything converts it. Real pages nest a few levels.
MAX_HTML_NESTING = 100
PARALLEL_PAGES = 200  # below this, starting worker processes costs more than it saves
CHUNKS_PER_WORKER = 8  # pages go to the workers in this many parts each: few, but enough to share
RESERVED_SLUGS = frozenset(
    {"index", "404", "search", "sitemap", "robots", "assets", "images", "handouts"}
)


@dataclass(frozen=True)
class PageMeta:
    """A page's front matter."""

    title: str = spec(doc="The page title.", check=validators.one_line)
    summary: str = spec("", doc="One or two sentences shown on the home page and in search.")
    order: int = spec(1000, doc="Position among the topics: lower comes first.")
    section: str = spec(
        "", doc="The group the topic belongs to on the home page.", check=validators.one_line
    )
    reviewed: dt.date | None = spec(None, doc="When a clinician last reviewed the page.")
    sources: tuple[str, ...] = spec((), doc="The sources of the page's figures, cited as [^1], ...")
    handout: bool = spec(True, doc="Whether the page has a printable handout.")
    translated_from: str = spec(
        "",
        doc="A translation: the digest of the page it translates, as `r2r translations stamp` "
        "writes it (sha256:...).",
        check=validators.source_digest,
    )


@dataclass(frozen=True)
class Page:
    """A topic page, validated and converted."""

    slug: str
    path: str  # as the author names it, e.g. content/nutrition.md
    meta: PageMeta
    body: PageBody
    digest: str  # sha256 of the source file

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def url(self) -> str:
        """The page's address relative to the site root."""
        return f"{self.slug}.html"


@dataclass(frozen=True)
class PageSource:
    """A page file as read from disk: how messages name it, its bytes and their digest."""

    path: Path
    name: str
    raw: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


class PageStore(Protocol):
    """Where converted pages are kept between builds (see `generator.pagecache`)."""

    def get(self, name: str, digest: str) -> Page | None: ...
    def put(self, page: Page) -> None: ...


def load_pages(
    content_dir: Path,
    labels: Mapping[str, str],
    *,
    store: PageStore | None = None,
    jobs: int | None = None,
    label: str = "content",
    images_dir: Path | None = None,
) -> list[Page]:
    """Load every `*.md` page, in reading order; raise `ContentError` listing every problem.

    Pages found unchanged in `store` are not converted again. When many pages need
    converting, they are converted in parallel by the batch runner. Pictures come from
    `images_dir` (default: `content_dir/images`).
    """
    pages: list[Page] = []
    problems: list[Problem] = []
    pending: list[PageSource] = []
    for path in sorted(content_dir.glob("*.md")):
        name = f"{label}/{path.name}"
        try:
            raw = read_bytes(
                path, folder=content_dir, limit=MAX_PAGE_BYTES, label="the content folder"
            )
        except Unreadable as unreadable:
            problems.append(unreadable.problem.within(name))
            continue
        source = PageSource(path, name, raw)
        cached = store.get(name, source.digest) if store else None
        if cached is not None:
            pages.append(cached)
        else:
            pending.append(source)
    workers = (jobs or default_jobs()) if len(pending) >= PARALLEL_PAGES else 1
    tasks = [Task(source.name, source) for source in pending]
    report = run_batch(
        tasks,
        convert_page,
        label="pages",
        jobs=workers,
        setup=Setup(
            markdown_converter,
            (
                content_dir.resolve(),
                tuple(sorted(labels.items())),
                (images_dir or content_dir / "images").resolve(),
            ),
        ),
        chunk=-(-len(pending) // (workers * CHUNKS_PER_WORKER)),
        fork=True,
    )
    for done in report.done:
        if isinstance(done.value, Page):
            pages.append(done.value)
            if store:
                store.put(done.value)
        elif done.ok:
            problems.extend(done.value)
        else:
            problems.extend(done.located)
    if problems:
        in_file_order: list[Problem] = sorted(problems, key=lambda p: p.where.split(":")[0])
        raise ContentError(in_file_order)
    return sorted(pages, key=lambda p: (p.meta.order, p.title.casefold(), p.slug))


def markdown_converter(
    content_dir: Path, labels: tuple[tuple[str, str], ...], images_dir: Path
) -> MarkdownPipeline:
    """Batch setup: a worker's Markdown pipeline (the Markdown library loads only here)."""
    from generator.content.markdown_pipeline import MarkdownPipeline

    return MarkdownPipeline(content_dir, dict(labels), images_dir=images_dir)


def convert_page(pipeline: MarkdownPipeline, source: PageSource) -> Page | list[Problem]:
    """Batch work: one page converted, or every problem with it (returned, not raised)."""
    try:
        return load_page(source, pipeline)
    except ContentError as error:
        return list(error.problems)


def load_page(source: PageSource, pipeline: MarkdownPipeline) -> Page:
    """Validate and convert one page file."""
    name, path = source.name, source.path
    problems = [p.within(name) for p in _slug_problems(path.stem)]
    meta: PageMeta | None = None
    body = ""
    try:
        front, body, _ = split_front_matter(decode(source.raw))
        meta = load(PageMeta, parse_yaml(front, first_line=2))
    except (YamlProblem, Unreadable) as error:
        problems.append(error.problem.within(name))
    except Invalid as invalid:
        problems.extend(p.within(name) for p in invalid.problems)
    except ContentError as error:
        problems.extend(p.within(name) for p in error.problems)
    if meta is None or problems:
        raise ContentError(problems)
    if html_nesting_exceeds(body, MAX_HTML_NESTING):
        raise ContentError(
            [Problem(name, f"nests HTML tags more than {MAX_HTML_NESTING} deep; flatten them")]
        )
    try:
        with _time_limit(MAX_SECONDS_PER_PAGE):
            markup = pipeline.render(body, sources=meta.sources)
    except MarkupError as error:
        raise ContentError(Problem(name, m) for m in error.messages) from None
    except RecursionError:  # callouts inside callouts are read recursively
        raise ContentError(
            [
                Problem(
                    name, "nests lists, quotes or other blocks too deeply to convert; flatten them"
                )
            ]
        ) from None
    except _TooSlow:
        raise ContentError(
            [
                Problem(
                    name,
                    f"takes more than {MAX_SECONDS_PER_PAGE} seconds to "
                    "convert; split it up or simplify its markup",
                )
            ]
        ) from None
    return Page(path.stem, name, meta, markup, source.digest)


class _TooDeep(Exception):
    pass


class _DepthGauge(HTMLParser):
    """Follows how deep the raw HTML of a page nests, and stops past `limit`."""

    # Elements that never hold others: an opening tag without its end does not nest.
    VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit, self.depth = limit, 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.depth += 1
            if self.depth > self.limit:
                raise _TooDeep

    def handle_endtag(self, tag: str) -> None:
        self.depth = max(0, self.depth - 1)


def html_nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the HTML tags in `text` nest more than `limit` deep (linear in its length)."""
    if text.count("<") <= limit:  # too few tags to nest that deep: most pages stop here
        return False
    gauge = _DepthGauge(limit)
    try:
        gauge.feed(text)
        gauge.close()
    except _TooDeep:
        return True
    return False


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Stop the block after `seconds`: some Markdown (a long run of `[`, say) converts in time
    that grows with the square of its length. Only where a timer signal can be used (the main
    thread, on POSIX); elsewhere the block runs unbounded."""
    main = threading.current_thread() is threading.main_thread()
    if not main or not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Split a page into (front matter, body, line number where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            [
                Problem(
                    "",
                    "has no front matter: the file must start with a line "
                    "'---', then 'title: ...', then another '---'",
                )
            ]
        )
    for number, line in enumerate(lines[1:], 2):
        if line.strip() in ("---", "..."):
            return "".join(lines[1 : number - 1]), "".join(lines[number:]), number + 1
    raise ContentError([Problem("", "front matter is not closed: add a line '---' after it")])


def _slug_problems(stem: str) -> Iterator[Problem]:
    message = validators.slug(stem)
    if message:
        yield Problem("", f"file name {message} (it becomes the page's web address)")
    elif stem in RESERVED_SLUGS:
        yield Problem("", f"the name '{stem}' is reserved for the site; rename the file")
