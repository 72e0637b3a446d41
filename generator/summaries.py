"""One-paragraph summaries of what a command did, for the terminal."""

from __future__ import annotations

from .batch import BatchReport
from .build import BuildReport
from .check import CheckReport


def batch_lines(label: str, report: BatchReport) -> list[str]:
    """An error line per failed item, then a count."""
    lines = [f"error: {done.name}: {done.error}" for done in report.failed]
    made = len(report.succeeded)
    lines.append(f"{label}: {made} made, {len(report.failed)} failed")
    return lines


def check_summary(report: CheckReport) -> list[str]:
    """The per-page table of `r2r check`."""
    width = max([len(r.page.path) for r in report.pages] + [4])
    lines = [f"{'page':{width}}  grade  sources  reviewed    warnings"]
    for result in report.pages:
        meta = result.page.meta
        reviewed = meta.reviewed.isoformat() if meta.reviewed else "-"
        lines.append(f"{result.page.path:{width}}  {result.grade:5.1f}  {len(meta.sources):7}  "
                     f"{reviewed:10}  {len(result.warnings):8}")
    lines.append(f"check: {len(report.pages)} pages, {report.warnings} warning(s)")
    return lines


def build_summary(report: BuildReport) -> list[str]:
    """What `r2r build`, `r2r site` or `r2r handouts` did."""
    lines = []
    if report.site is not None:
        site = report.site
        lines.append(f"site: {site.files} files, {len(site.written)} written, "
                     f"{len(site.removed)} removed")
    if report.handouts is not None:
        lines += batch_lines("handouts", report.handouts)
    return lines
