"""Printable handouts: one PDF per topic and a booklet of them all, under `site/handouts/`."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

import jinja2

from . import __version__
from .batch import BatchReport, Reporter, Setup, Task, run_batch
from .library import Library
from .markup import localise_anchors
from .outputs import OutputTree, files_digest, fingerprint, sha256
from .pdfjobs import PdfConfig, PdfJob, Stylesheet, prepare_worker, render_job
from .site import BOOKLET_URL, handout_url
from .templating import render


@dataclass(frozen=True)
class Document:
    """A PDF to make: its path under the output tree, its HTML, and the source it comes from."""

    name: str
    html: str
    source: str


def pdf_config(library: Library, env: jinja2.Environment) -> PdfConfig:
    """How every worker prepares WeasyPrint for this project's documents."""
    project = library.project
    base = library.settings.site.base_url
    css_dir, pdf_dir = project.static_dir / "css", project.templates_dir / "pdf"
    return PdfConfig(
        root=project.root,
        mounts=((base + "assets/", project.static_dir), (base + "images/", project.images_dir)),
        stylesheets=(
            Stylesheet((css_dir / "fonts.css").read_text(encoding="utf-8"), css_dir.as_uri() + "/"),
            Stylesheet(render(env, "pdf/print.css"), pdf_dir.as_uri() + "/"),
        ),
    )


def pdf_inputs(library: Library, config: PdfConfig) -> str:
    """A fingerprint of everything besides its HTML that a PDF of this project depends on."""
    project = library.project
    return fingerprint(
        __version__, importlib.metadata.version("weasyprint"),
        *(s.text for s in config.stylesheets),
        files_digest([project.static_dir, project.images_dir]),
        sha256(library.settings.logo_path(project).read_bytes()),
    )


def handout_documents(library: Library, env: jinja2.Environment) -> list[Document]:
    """The HTML of every handout and of the booklet, rendered before any PDF is made."""
    pages = library.handout_pages
    logo = library.settings.logo_path(library.project).as_uri()
    docs = [
        Document(handout_url(page.slug), render(env, "pdf/handout.html", page=page, logo_src=logo),
                 page.path)
        for page in pages
    ]
    slugs = frozenset(p.slug for p in pages)
    bodies = {p.slug: localise_anchors(p.body.html, p.slug, slugs) for p in pages}
    booklet = render(env, "pdf/booklet.html", pages=pages, bodies=bodies, logo_src=logo)
    docs.append(Document(BOOKLET_URL, booklet, "content/"))
    return docs


def publish_documents(documents: list[Document], tree: OutputTree, config: PdfConfig,
                      inputs: str, *, base_url: str, label: str, jobs: int | None,
                      reporter: Reporter | None) -> BatchReport:
    """Render the documents whose inputs changed, through the batch runner, into `tree`.

    A document that fails keeps its previous PDF (if any); the others are written.
    """
    tasks, wanted = [], {}
    for doc in documents:
        doc_inputs = fingerprint(inputs, doc.html)
        if not tree.current(doc.name, doc_inputs):
            job = PdfJob(doc.html, base_url, tree.root / doc.name, private=tree.private)
            tasks.append(Task(f"{doc.name} ({doc.source})", job))
            wanted[len(tasks) - 1] = (doc.name, doc_inputs)
    report = run_batch(tasks, render_job, label=label, jobs=jobs,
                       setup=Setup(prepare_worker, (config,)), reporter=reporter)
    for index, done in enumerate(report.done):
        name, doc_inputs = wanted[index]
        if done.ok:
            tree.written_elsewhere(name, doc_inputs, done.value)
        else:
            tree.keep(name)
    return report
