"""PDF work for the batch runner, without importing WeasyPrint until a document is rendered.

The parent process only builds these plain-data jobs; `generator.render.pdf_writer` (and WeasyPrint,
about half a second) is imported by `pdf_writer`, in the process that renders.
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.atomic import write_atomic

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
    pictures: tuple[Path, ...] = ()  # files and folders served only as checked pictures
    # A stylesheet added to the documents in one language (their page numbers' words).
    languages: tuple[tuple[str, Stylesheet], ...] = ()


@dataclass(frozen=True)
class PdfJob:
    """One document to render and where to write it."""

    html: str
    base_url: str
    target: Path
    private: bool = False
    root: Path | None = None  # no link below it on the way to `target`
    language: str = ""  # the document's language: its sheet of `PdfConfig.languages`, if any


def pdf_writer(config: PdfConfig) -> PdfWriter:
    """Batch setup: a worker's PDF writer, with its fonts and stylesheets (WeasyPrint loads
    only here)."""
    from generator.render.pdf_writer import PdfWriter

    writer = PdfWriter(
        config.root,
        config.mounts,
        [(sheet.text, sheet.base_url) for sheet in config.stylesheets],
        pictures=config.pictures,
        languages=[(language, sheet.text, sheet.base_url) for language, sheet in config.languages],
    )
    # What exists now (the fonts, the stylesheets, in one process the whole library) lives
    # for the batch: out of the garbage collector's sight, it is not traversed again on every
    # collection that rendering triggers, which made documents about 7% slower.
    gc.freeze()
    return writer


def render_job(writer: PdfWriter, job: PdfJob) -> str:
    """Batch work: render one document, write it atomically, return the hash of its bytes."""
    pdf = writer.render(job.html, job.base_url, job.language)
    write_atomic(job.target, pdf, private=job.private, root=job.root)
    return hashlib.sha256(pdf).hexdigest()
