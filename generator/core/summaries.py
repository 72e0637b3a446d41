"""One-paragraph summaries of what a command did, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.core.batch import BatchReport
    from generator.mail.delivery import EmailReport
    from generator.outputs.build import BuildReport
    from generator.outputs.check import CheckReport
    from generator.outputs.plans import PlansReport


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
        lines.append(
            f"{result.page.path:{width}}  {result.grade:5.1f}  {len(meta.sources):7}  "
            f"{reviewed:10}  {len(result.warnings):8}"
        )
    lines += [f"error: {problem}" for problem in report.record_problems]
    lines.append(f"check: {len(report.pages)} pages, {report.warnings} warning(s)")
    if report.patients:
        lines.append(
            f"check: {report.patients} patient record(s), {len(report.record_problems)} problem(s)"
        )
    return lines


def plans_summary(report: PlansReport) -> list[str]:
    """What `r2r plans` did: an error line per failed record or plan, then counts."""
    lines = [f"error: {where}: {message}" for where, message in report.failed]
    lines += [f"error: {done.name}: {done.error}" for done in report.batch.failed]
    failed = {d.name for d in report.batch.failed}
    made = len(report.drafts) - len(failed)
    lines.append(
        f"plans: {made} made ({len(report.batch.succeeded)} rendered, "
        f"{made - len(report.batch.succeeded)} unchanged), "
        f"{len(report.failed) + len(failed)} failed"
    )
    return lines


def email_summary(report: EmailReport) -> list[str]:
    """What `r2r email` did: the plans' lines, an error line per failed message, then counts."""
    lines = plans_summary(report.plans)
    lines += [f"error: {where}: {message}" for where, message in report.failed]
    if report.mode == "dry-run":
        lines.append(
            f"email (dry run): {len(report.sent)} message(s) written to the outbox, "
            f"{len(report.skipped)} already sent, {len(report.failed)} failed; "
            "nothing was sent"
        )
    elif report.mode == "cancelled":
        lines.append("email: cancelled, nothing was sent")
    else:
        lines.append(
            f"email: {len(report.sent)} sent, {len(report.skipped)} skipped as already "
            f"sent, {len(report.failed)} failed"
        )
    return lines


def build_summary(report: BuildReport) -> list[str]:
    """What `r2r build`, `r2r site` or `r2r handouts` did."""
    lines = []
    if report.site is not None:
        site = report.site
        lines.append(
            f"site: {site.files} files, {len(site.written)} written, {len(site.removed)} removed"
        )
    if report.handouts is not None:
        lines += batch_lines("handouts", report.handouts)
        lines[-1] += f", {report.handouts_current} up to date"
    elif report.handouts_current:
        lines.append(f"handouts: 0 made, 0 failed, {report.handouts_current} up to date")
    return lines
