"""`r2r check`: validate the project and report on every page, writing nothing.

Errors (invalid settings, content, protocols, templates) raise as in a build. Everything a
build would publish but a clinic should fix is a warning, logged so that `--strict` can fail
on it: a reading grade above 8, missing sources, a source never cited, a missing or stale
review date, a broken internal link.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.content.library import Library, broken_links, load_library
from generator.content.pages import Page
from generator.content.plaintext import reading_grade
from generator.core.errors import Problem, RecordError
from generator.core.project import Project
from generator.outputs.documents import pdf_config
from generator.outputs.fingerprints import Digests
from generator.outputs.handouts import handout_documents
from generator.outputs.linkcheck import broken_site_links
from generator.outputs.site import asset_files, render_site

log = logging.getLogger(__name__)

MAX_GRADE = 8.0
REVIEW_EVERY = dt.timedelta(days=365)


@dataclass
class PageCheck:
    """What `check` found on one page."""

    page: Page
    grade: float
    warnings: list[str] = field(default_factory=list)


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
        lines = [f"{'page':{width}}  grade  sources  reviewed    warnings"]
        for result in self.pages:
            meta = result.page.meta
            reviewed = meta.reviewed.isoformat() if meta.reviewed else "-"
            lines.append(
                f"{result.page.path:{width}}  {result.grade:5.1f}  {len(meta.sources):7}  "
                f"{reviewed:10}  {len(result.warnings):8}"
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
    report = CheckReport([check_page(page, today) for page in library.pages])
    _add_link_problems(library, report)
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


def check_page(page: Page, today: dt.date) -> PageCheck:
    """The reading grade and the editorial warnings of one page."""
    result = PageCheck(page, reading_grade(page.body.html, lead=page.meta.summary))
    if result.grade > MAX_GRADE:
        result.warnings.append(
            f"reading grade {result.grade:.1f} is above {MAX_GRADE:g}: "
            "use shorter sentences and simpler words"
        )
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
    by_url = {result.page.url: result for result in report.pages}
    for name, link, message in broken_site_links(pages, files):
        result = by_url.get(name)
        if result is None:
            report.site.append(f"{name} (templates): {message}")
        elif link not in result.page.body.links:
            result.warnings.append(f"its page {name} {message} (from a template)")


def _add_link_problems(library: Library, report: CheckReport) -> None:
    by_path = {result.page.path: result for result in report.pages}
    for problem in broken_links(library.pages):
        by_path[problem.where].warnings.append(problem.message)
