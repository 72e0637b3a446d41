"""`r2r check`: validate the project and report on every page, writing nothing.

Errors (invalid settings, content, protocols, templates) raise as in a build. Everything a
build would publish but a clinic should fix is a warning, logged so that `--strict` can fail
on it: a page harder to read than its language's measure allows (a reading grade above 8 in
English, a Fernández-Huerta index below 70 in Spanish), missing sources, a source never cited,
a missing or stale review date, a broken internal link, a page with no translation, and a
translation whose source changed since it was translated.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.content.library import Library, broken_links, load_library
from generator.content.pages import Page
from generator.content.plaintext import READING_MEASURES, reading_score
from generator.content.translations import translation_problems
from generator.core.errors import Problem, RecordError
from generator.core.project import Project
from generator.core.schema import untranslated
from generator.outputs.documents import pdf_config
from generator.outputs.fingerprints import Digests
from generator.outputs.handouts import handout_documents
from generator.outputs.linkcheck import broken_site_links
from generator.outputs.site import asset_files, render_site

log = logging.getLogger(__name__)

REVIEW_EVERY = dt.timedelta(days=365)


@dataclass
class PageCheck:
    """What `check` found on one page."""

    page: Page
    language: str
    score: float | None  # on the language's reading measure; None: it has none
    warnings: list[str] = field(default_factory=list)

    @property
    def measure(self) -> str:
        """The reading measure's short name, as the table shows it."""
        measure = READING_MEASURES.get(self.language.split("-")[0])
        return measure.formula if measure else "-"


@dataclass
class CheckReport:
    """Every page's findings; warnings fail a check only under `--strict`."""

    pages: list[PageCheck]
    site: list[str] = field(default_factory=list)  # problems of the site's other files

    @property
    def warnings(self) -> int:
        return sum(len(p.warnings) for p in self.pages) + len(self.site)

    exit_code = 0

    def summary(self) -> list[str]:
        """The per-page table of `r2r check`."""
        width = max([len(r.page.path) for r in self.pages] + [4])
        measures = max([len(r.measure) for r in self.pages] + [7])
        lines = [f"{'page':{width}}  {'measure':{measures}}  score  sources  reviewed    warnings"]
        for result in self.pages:
            meta = result.page.meta
            reviewed = meta.reviewed.isoformat() if meta.reviewed else "-"
            score = "-" if result.score is None else f"{result.score:.1f}"
            lines.append(
                f"{result.page.path:{width}}  {result.measure:{measures}}  {score:>5}  "
                f"{len(meta.sources):7}  {reviewed:10}  {len(result.warnings):8}"
            )
        lines.append(f"check: {len(self.pages)} pages, {self.warnings} warning(s)")
        return lines


@dataclass
class PatientsCheck:
    """The patient records `check PATIENTS` read, and every problem with them."""

    patients: int
    record_problems: list[Problem]

    @property
    def exit_code(self) -> int:
        return 1 if self.record_problems else 0

    def summary(self) -> list[str]:
        """An error line per problem, then the count."""
        lines = [f"error: {problem}" for problem in self.record_problems]
        problems = len(self.record_problems)
        verdict = "ready for r2r plans" if not problems else "fix them, then check again"
        lines.append(f"check: {self.patients} patient record(s), {problems} problem(s): {verdict}")
        return lines


def check(
    project: Project, *, today: dt.date, patients: Sequence[Path] = (), as_of: dt.date | None = None
) -> CheckReport | PatientsCheck:
    """Without `patients`: load and render everything in memory, then report on each page.
    With `patients`: validate those patient files against the project (and that their plans
    can be scheduled on `as_of`, default `today`). Write nothing.
    """
    from generator.outputs.build import page_cache

    library = load_library(project, store=page_cache(project, read_only=True))
    if patients:
        return PatientsCheck(*check_patients(library, patients, as_of or today))
    return check_site(library, today)


def check_site(library: Library, today: dt.date) -> CheckReport:
    """Render the site and the handouts in memory and report on each page."""
    from generator.outputs.build import environment_of

    environment = environment_of(library, keep_compiled=False)
    digests = Digests.of(library)
    generated = render_site(library, digests, None, environment)
    documents = handout_documents(library, digests, environment)
    for document in documents:
        document.html()
    pdf_config(library, environment())
    report = CheckReport(
        [
            check_page(page, today, edition.language)
            for edition in library.editions
            for page in edition.pages
        ]
    )
    _add_link_problems(library, report)
    _add_translation_problems(library, report)
    report.site += [
        f"site.toml: {problem.where}: {problem.message}"
        for problem in untranslated(library.settings.site, library.settings.site.languages, "site")
    ]
    files = set(generated) | set(asset_files(library)) | {doc.name for doc in documents}
    _add_site_link_problems(
        library, {name: data for name, (data, _) in generated.items()}, files, report
    )
    for result in report.pages:
        for warning in result.warnings:
            log.warning("%s: %s", result.page.path, warning)
    for warning in report.site:
        log.warning("%s", warning)
    return report


def check_page(page: Page, today: dt.date, language: str) -> PageCheck:
    """The reading score and the editorial warnings of one page in `language`."""
    score = reading_score(page.body.html, language, lead=page.meta.summary)
    result = PageCheck(page, language, score)
    measure = READING_MEASURES.get(language.split("-")[0])
    problem = measure.problem(score) if measure and score is not None else None
    if problem:
        result.warnings.append(f"{problem}: use shorter sentences and simpler words")
    sources = len(page.meta.sources)
    if not sources:
        result.warnings.append("lists no sources: add the sources of its figures")
    for number in sorted(set(range(1, sources + 1)) - page.body.cited):
        result.warnings.append(
            f"source {number} is never cited in the text (cite it as [^{number}])"
        )
    reviewed = page.meta.reviewed
    if reviewed is None:
        result.warnings.append("has no 'reviewed' date: add the date a clinician last reviewed it")
    elif today - reviewed > REVIEW_EVERY:
        result.warnings.append(f"was last reviewed on {reviewed}, more than a year ago")
    elif reviewed > today:
        result.warnings.append(f"has a 'reviewed' date in the future ({reviewed})")
    return result


def check_patients(
    library: Library, paths: Sequence[Path], as_of: dt.date
) -> tuple[int, list[Problem]]:
    """How many patient records there are, and every problem with them (none are written)."""
    from generator.outputs.plans import schedule_for
    from generator.patients.readers import read_patients

    records = read_patients(
        paths, protocols=library.protocols, sites=library.injury_sites, as_of=as_of
    )
    problems = [p for record in records for p in record.problems]
    for record in (r for r in records if r.ok):
        try:
            schedule_for(record, library)
        except RecordError as error:
            problems.extend(error.problems)
    return len(records), problems


def _add_site_link_problems(
    library: Library, pages: dict[str, bytes], files: set[str], report: CheckReport
) -> None:
    # A page's own content links were checked above, with messages naming its source file.
    folders = {edition.language: edition.folder for edition in library.editions}
    by_url = {folders[result.language] + result.page.url: result for result in report.pages}
    for name, link, message in broken_site_links(pages, files):
        result = by_url.get(name)
        if result is None:
            report.site.append(f"{name} (templates): {message}")
        elif link not in result.page.body.links:
            result.warnings.append(f"its page {name} {message} (from a template)")


def _add_link_problems(library: Library, report: CheckReport) -> None:
    by_path = {result.page.path: result for result in report.pages}
    for edition in library.editions:
        for problem in broken_links(edition.pages):
            by_path[problem.where].warnings.append(problem.message)


def _add_translation_problems(library: Library, report: CheckReport) -> None:
    by_path = {result.page.path: result for result in report.pages}
    for problem in translation_problems(library):
        by_path[problem.where].warnings.append(problem.message)
