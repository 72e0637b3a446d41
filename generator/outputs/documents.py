"""The PDFs a product makes (handouts, plans) and how they are made: through the batch runner,
with the one PDF writer in each worker, each recorded in its product's output tree.

A document is rendered to HTML only when its turn comes, so memory stays flat however many
there are; one that fails keeps its previous PDF and the others are written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from generator.content.library import Library
from generator.core.batch import BatchReport, Reporter, Setup, Task, run_batch
from generator.core.errors import ContentError
from generator.core.files import Unreadable, read_text
from generator.core.project import Project
from generator.outputs.state import OutputTree
from generator.render.pdf_jobs import PdfConfig, PdfJob, Stylesheet, pdf_writer, render_job

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)
MAX_CSS_BYTES = 1_000_000
RECYCLE_AFTER = 100  # PDFs a worker renders before it is replaced (memory stays bounded)


@dataclass(frozen=True)
class Document:
    """A PDF to make: its path in the output tree, what it comes from, and its HTML."""

    name: str
    source: str  # how messages name it
    inputs: str  # the fingerprint of everything it is made from
    html: Callable[[], str]  # called only when the document must be made
    base: str = ""  # its folder's address relative to the base URL ("es/"): links resolve there
    language: str = ""  # its language, which picks the stylesheet of its page numbers

    def prepared(self) -> Document:
        """The same document with its HTML rendered now (a template error shows here)."""
        html = self.html()
        return replace(self, html=lambda: html)


def pdf_config(library: Library, env: jinja2.Environment) -> PdfConfig:
    """How every worker prepares WeasyPrint for this project's documents."""
    from generator.render.environment import render

    project = library.project
    base = library.settings.site.base_url
    css_dir, pdf_url = project.static_dir / "css", (project.templates_dir / "pdf").as_uri() + "/"
    return PdfConfig(
        root=project.root,
        mounts=((base + "assets/", project.static_dir), (base + "images/", project.images_dir)),
        stylesheets=(
            Stylesheet(_read_css(css_dir / "fonts.css", project), css_dir.as_uri() + "/"),
            Stylesheet(render(env, "pdf/print.css"), pdf_url),
        ),
        pictures=(project.images_dir, library.settings.logo_path(project)),
        languages=tuple(
            (e.language, Stylesheet(render(env, "pdf/pages.css", t=e.strings), pdf_url))
            for e in library.editions
        ),
    )


def _read_css(path: Path, project: Project) -> str:
    try:
        return read_text(path, folder=project.templates_dir, limit=MAX_CSS_BYTES)
    except Unreadable as unreadable:
        name = path.relative_to(project.root).as_posix()
        raise ContentError([unreadable.problem.within(name)]) from None


def stale_documents(documents: Iterable[Document], tree: OutputTree) -> list[Document]:
    """The documents that are not current in `tree`."""
    stale = []
    for doc in documents:
        if not tree.current(doc.name, doc.inputs):
            log.info("%s: to be made (new, or its inputs changed)", doc.name)
            stale.append(doc)
    return stale


def render_documents(
    stale: Sequence[Document],
    tree: OutputTree,
    config: PdfConfig,
    *,
    base_url: str,
    label: str,
    jobs: int | None,
    reporter: Reporter | None,
) -> BatchReport:
    """Make the PDFs of `stale` through the batch runner, recording each in `tree`.

    Each document's HTML is rendered only when its task is handed to a worker, so memory stays
    flat however many there are. A document that fails keeps its previous PDF (if any); the
    others are written.
    """
    if stale:
        warn_if_slow_subsetting()
    tasks = (
        Task(f"{doc.name} ({doc.source})", _job(doc, tree, base_url), private=tree.private)
        for doc in stale
    )
    report = run_batch(
        tasks,
        render_job,
        label=label,
        total=len(stale),
        jobs=jobs,
        setup=Setup(pdf_writer, (config,)),
        reporter=reporter,
        recycle_after=RECYCLE_AFTER,
    )
    for doc, done in zip(stale, report.done, strict=True):
        if done.ok:
            log.info("%s: made", doc.name)
            tree.written_elsewhere(doc.name, doc.inputs, done.value)
        else:
            tree.keep(doc.name)
    return report


def _job(doc: Document, tree: OutputTree, base_url: str) -> PdfJob:
    target, root = tree.target(doc.name)
    html, url = doc.html(), base_url + doc.base
    return PdfJob(html, url, target, private=tree.private, root=root, language=doc.language)


@cache
def warn_if_slow_subsetting() -> None:
    """Warn (once a process) if HarfBuzz's subsetter is missing: WeasyPrint then falls back to
    a slower one."""
    import ctypes.util

    if ctypes.util.find_library("harfbuzz-subset") is None:
        log.warning(
            "libharfbuzz-subset0 is not installed: PDFs are made about twice as slowly "
            "(install it with: apt-get install libharfbuzz-subset0)"
        )
