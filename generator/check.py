"""`r2r check`: validate the project and report on every page, writing nothing.

Errors (invalid settings, content, protocols, templates) raise as in a build. Everything a
build would publish but a clinic should fix is a warning, logged so that `--strict` can fail
on it: a reading grade above 8, missing sources, a source never cited, a missing or stale
review date, a broken internal link.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from .content import Page
from .handouts import handout_documents, pdf_config
from .library import Library, broken_links, load_library
from .project import Project
from .readability import reading_grade
from .site import render_site
from .templating import make_environment

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
    """Every page's findings; warnings do not fail a check unless `--strict`."""

    pages: list[PageCheck]
    exit_code: int = 0

    @property
    def warnings(self) -> int:
        return sum(len(p.warnings) for p in self.pages)


def check(project: Project, *, today: dt.date) -> CheckReport:
    """Load and render everything in memory, then report on each page; write nothing."""
    library = load_library(project)
    env = make_environment(library)
    render_site(library, env)
    handout_documents(library, env)
    pdf_config(library, env)
    report = CheckReport([check_page(page, today) for page in library.pages])
    _add_link_problems(library, report)
    for result in report.pages:
        for warning in result.warnings:
            log.warning("%s: %s", result.page.path, warning)
    return report


def check_page(page: Page, today: dt.date) -> PageCheck:
    """The reading grade and the editorial warnings of one page."""
    result = PageCheck(page, reading_grade(page.body.html, lead=page.meta.summary))
    if result.grade > MAX_GRADE:
        result.warnings.append(f"reading grade {result.grade:.1f} is above {MAX_GRADE:g}: "
                               "use shorter sentences and simpler words")
    sources = len(page.meta.sources)
    if not sources:
        result.warnings.append("lists no sources: add the sources of its figures")
    for number in sorted(set(range(1, sources + 1)) - page.body.cited):
        result.warnings.append(f"source {number} is never cited in the text "
                               f"(cite it as [^{number}])")
    reviewed = page.meta.reviewed
    if reviewed is None:
        result.warnings.append("has no 'reviewed' date: add the date a clinician last reviewed it")
    elif today - reviewed > REVIEW_EVERY:
        result.warnings.append(f"was last reviewed on {reviewed}, more than a year ago")
    elif reviewed > today:
        result.warnings.append(f"has a 'reviewed' date in the future ({reviewed})")
    return result


def _add_link_problems(library: Library, report: CheckReport) -> None:
    by_path = {result.page.path: result for result in report.pages}
    for problem in broken_links(library.pages):
        by_path[problem.where].warnings.append(problem.message)
