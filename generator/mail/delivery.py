"""`r2r email`: make each patient's plan if needed, then send it once, or write it out.

Plans go through `build_plans` (made only when missing or out of date). Each message is sent
only if the ledger has no record of that version of that patient's plan (`--resend` sends it
again on purpose), and is recorded as soon as the server accepts it. `--dry-run` writes each
message as an `.eml` file in the private outbox and sends nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from generator.content.library import Library, load_library
from generator.core.atomic import make_dir, remove_leftovers, write_atomic
from generator.core.batch import Reporter
from generator.core.errors import Problem, RecordError, SettingsError
from generator.core.project import Project
from generator.mail.compose import Outgoing, compose
from generator.mail.ledger import Ledger
from generator.mail.smtp import Refused, Security, SmtpConfig, SmtpSender, Stopped
from generator.outputs.plans import PLAN_ICS, PLAN_PDF, PlansReport, make_plans
from generator.render.environment import make_environment

if TYPE_CHECKING:
    import jinja2

Confirm = Callable[[Sequence[Outgoing]], bool]


@dataclass(frozen=True)
class SmtpOverrides:
    """Command-line overrides of `site.toml`'s server settings."""

    host: str | None = None
    port: int | None = None
    security: Security | None = None


@dataclass
class EmailReport:
    """What `r2r email` did with each patient."""

    plans: PlansReport
    mode: Literal["send", "dry-run", "cancelled"] = "send"
    sent: list[str] = field(default_factory=list)  # patient ids (or .eml files in a dry run)
    skipped: list[str] = field(default_factory=list)  # already sent
    failed: list[Problem] = field(default_factory=list)  # where: a patient's source or id

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.mode == "cancelled" or self.plans.exit_code else 0

    def summary(self) -> list[str]:
        """The plans' lines, an error line per message that failed, then the counts."""
        lines = self.plans.summary()
        lines += [f"error: {problem}" for problem in self.failed]
        sent, skipped, failed = len(self.sent), len(self.skipped), len(self.failed)
        if self.mode == "dry-run":
            lines.append(
                f"email (dry run): {sent} message(s) written to the outbox, {skipped} already "
                f"sent, {failed} failed; nothing was sent"
            )
        elif self.mode == "cancelled":
            lines.append("email: cancelled, nothing was sent")
        else:
            lines.append(f"email: {sent} sent, {skipped} skipped as already sent, {failed} failed")
        return lines


def email_plans(
    project: Project,
    paths: Iterable[Path],
    *,
    as_of: dt.date,
    dry_run: bool = False,
    resend: bool = False,
    overrides: SmtpOverrides = SmtpOverrides(),
    confirm: Confirm = lambda _: True,
    jobs: int | None = None,
    reporter: Reporter | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sender_factory: Callable[[SmtpConfig], SmtpSender] = SmtpSender,
) -> EmailReport:
    """Make the plans of `paths` and email each to its patient, at most once per version."""
    library = load_library(project)
    env = make_environment(library)
    config = smtp_config(library, overrides) if not dry_run else None
    plans = make_plans(library, env, paths, as_of=as_of, jobs=jobs, reporter=reporter)
    report = EmailReport(plans)
    ledger = Ledger(project.out / "email-ledger.jsonl")
    queue = _compose_all(report, library, env, now(), resend, ledger)
    if dry_run:
        report.mode = "dry-run"
        remove_leftovers(project.outbox_dir, older_than=time.time())  # from a killed dry run
        report.sent = [_write_eml(project, outgoing) for outgoing in queue]
    elif queue and not confirm(queue):
        report.mode = "cancelled"
    elif queue and config is not None:
        _send_all(queue, config, sender_factory, ledger, now, report)
    return report


def smtp_config(library: Library, overrides: SmtpOverrides) -> SmtpConfig:
    """The server settings: `site.toml`, the overrides, and credentials from the environment."""
    options = library.settings.email
    if options is None:
        raise SettingsError(
            [Problem("site.toml", "has no [email] section: add one to send plans (see the README)")]
        )
    ca_file = library.project.root / options.ca_file if options.ca_file else None
    return SmtpConfig(
        host=overrides.host or options.smtp_host,
        port=overrides.port or options.smtp_port,
        security=overrides.security or options.smtp_security,
        username=os.environ.get(options.username_env) or None,
        password=os.environ.get(options.password_env) or None,
        timeout=options.timeout,
        ca_file=ca_file,
    )


def _compose_all(
    report: EmailReport,
    library: Library,
    env: jinja2.Environment,
    now: dt.datetime,
    resend: bool,
    ledger: Ledger,
) -> list[Outgoing]:
    project = library.project
    failed = {done.name.partition("/")[0] for done in report.plans.batch.failed}
    queue = []
    for draft in report.plans.drafts:
        folder = project.plans_dir / draft.patient.id
        if draft.patient.id in failed:
            continue  # its plan could not be made (build_plans reported it): never send an old one
        try:
            outgoing = compose(
                draft.patient,
                draft.schedule,
                (folder / PLAN_PDF).read_bytes(),
                (folder / PLAN_ICS).read_bytes(),
                library=library,
                env=env,
                now=now,
                resend=resend,
            )
        except RecordError as error:
            report.failed += [problem.within(draft.source) for problem in error.problems]
            continue
        if ledger.sent(outgoing.patient_id, outgoing.version) and not resend:
            report.skipped.append(outgoing.patient_id)
        else:
            queue.append(outgoing)
    return queue


def _write_eml(project: Project, outgoing: Outgoing) -> str:
    message = outgoing.message
    message["X-Unsent"] = "1"  # mail programs open the file as a draft to review and send
    target = project.outbox_dir / f"{outgoing.patient_id}.eml"
    make_dir(project.outbox_dir, private=True, root=project.out)
    write_atomic(target, message.as_bytes(), private=True, root=project.out)
    return outgoing.patient_id


def _send_all(
    queue: Sequence[Outgoing],
    config: SmtpConfig,
    sender_factory: Callable[[SmtpConfig], SmtpSender],
    ledger: Ledger,
    now: Callable[[], dt.datetime],
    report: EmailReport,
) -> None:
    try:
        with sender_factory(config) as sender:
            for outgoing in queue:
                try:
                    sender.send(outgoing.message)
                except Refused as refused:
                    report.failed.append(Problem(outgoing.patient_id, f"not sent: {refused}"))
                    continue
                ledger.record(
                    outgoing.patient_id,
                    outgoing.version,
                    str(outgoing.message["Message-ID"]),
                    now(),
                )
                report.sent.append(outgoing.patient_id)
    except Stopped as stopped:
        done = set(report.sent) | {problem.where for problem in report.failed}
        report.failed += [
            Problem(o.patient_id, f"not sent: {stopped}") for o in queue if o.patient_id not in done
        ]
