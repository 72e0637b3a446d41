"""PDF work for the batch runner, without importing WeasyPrint until a document is rendered.

The parent process only builds these plain-data jobs; `generator.pdf` (and WeasyPrint with it,
about half a second) is imported by `prepare_worker`, in the process that renders.
"""

from __future__ import annotations

import atexit
import gc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.atomic import write_atomic
from generator.outputs.state import sha256

if TYPE_CHECKING:
    from generator.render.pdf_writer import PdfWriter


@dataclass(frozen=True)
class Stylesheet:
    """CSS text and the URL its relative references (fonts) resolve against."""

    text: str
    base_url: str


@dataclass(frozen=True)
class PdfConfig:
    """What a process needs to prepare WeasyPrint once; plain data, so it crosses processes."""

    root: Path
    mounts: tuple[tuple[str, Path], ...]  # a public URL prefix served from a project folder
    stylesheets: tuple[Stylesheet, ...]


@dataclass(frozen=True)
class PdfJob:
    """One document to render and where to write it."""

    html: str
    base_url: str
    target: Path
    private: bool = False


_writer: PdfWriter | None = None


def prepare_worker(config: PdfConfig) -> None:
    """Batch setup: build this process's `PdfWriter` (reused while the config is the same)."""
    global _writer
    from generator.render.pdf_writer import PdfWriter

    if _writer is None or _writer.config != config:
        if _writer is None:
            atexit.register(_release)
        _writer = PdfWriter(config)
        # What exists now (the fonts, the stylesheets, in one process the whole library) lives
        # for the batch: out of the garbage collector's sight, it is not traversed again on
        # every collection that rendering triggers, which made documents about 7% slower.
        gc.freeze()


def _release() -> None:
    # WeasyPrint's font configuration cleans up in __del__, which fails if it runs only
    # when the interpreter is already tearing its modules down.
    global _writer
    _writer = None


def render_job(job: PdfJob) -> str:
    """Batch work: render one document, write it atomically, return the hash of its bytes."""
    if _writer is None:
        raise RuntimeError("prepare_worker() must run before render_job()")
    pdf = _writer.render(job.html, job.base_url)
    write_atomic(job.target, pdf, private=job.private)
    return sha256(pdf)
