"""`r2r email`: make each patient's plan if needed, then send it once, or write it out.

Plans go through `make_plans` (made only when missing or out of date). Each message is sent
only if the ledger has no record of that version of that patient's plan (`--resend` sends it
again on purpose). It is claimed in the ledger before the first byte goes to the server, and
recorded as sent, or as possibly delivered when the server's reply to the whole message is
lost, before the next one; a claim is given up when the message certainly was not sent.
`--dry-run` writes each message as an `.eml` file in the private outbox and sends nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from generator.content.library import Library, load_library
from generator.core.atomic import make_dir, remove_leftovers, write_atomic
from generator.core.batch import Reporter
from generator.core.errors import OutputError, Problem, RecordError, SettingsError
from generator.core.project import Project
from generator.mail.compose import Outgoing, compose
from generator.mail.ledger import Ledger, Status
from generator.mail.smtp import (
    Refused,
    Security,
    SmtpConfig,
    SmtpSender,
    Stopped,
    Unconfirmed,
)
from generator.outputs.plans import PLAN_ICS, PLAN_PDF, PlansReport, make_plans
from generator.render.environment import make_environment

if TYPE_CHECKING:
    import jinja2

Confirm = Callable[[Sequence[Outgoing]], bool]
logger = logging.getLogger(__name__)


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
    busy: list[str] = field(default_factory=list)  # another run is sending them right now
    earlier: list[str] = field(default_factory=list)  # possibly delivered by an earlier run
    unconfirmed: list[Problem] = field(default_factory=list)  # possibly delivered by this run
    failed: list[Problem] = field(default_factory=list)  # where: a patient's source or id
    outbox: Path | None = None  # where a dry run writes the messages

    @property
    def exit_code(self) -> int:
        troubled = self.failed or self.unconfirmed or self.mode == "cancelled"
        return 1 if troubled or self.plans.exit_code else 0

    def handled(self) -> set[str]:
        """The patients whose messages have an outcome in this run."""
        outcomes = [*self.failed, *self.unconfirmed]
        return {*self.sent, *self.skipped, *self.busy, *self.earlier} | {
            problem.where for problem in outcomes
        }

    def summary(self) -> list[str]:
        """The plans' lines, an error line per message that failed or is uncertain, then the
        counts."""
        lines = self.plans.summary()
        lines += [f"error: {problem}" for problem in [*self.failed, *self.unconfirmed]]
        sent, skipped, failed = len(self.sent), len(self.skipped), len(self.failed)
        if self.mode == "dry-run":
            lines.append(
                f"email (dry run): {sent} message(s) written to the outbox, {skipped} already "
                f"sent{self._left_alone()}, {failed} failed; nothing was sent"
            )
            if self.outbox is not None:
                lines.append(f"messages are in {self.outbox}")
        elif self.mode == "cancelled":
            lines.append("email: cancelled, nothing was sent")
        else:
            lines.append(
                f"email: {sent} sent, {skipped} skipped as already sent{self._left_alone()}, "
                f"{failed} failed"
            )
        return lines

    def _left_alone(self) -> str:
        """The counts of messages not sent because they may have arrived, or are being sent."""
        maybe = len(self.earlier) + len(self.unconfirmed)
        counts = f", {maybe} possibly delivered and not sent again" if maybe else ""
        return counts + (
            f", {len(self.busy)} left to another run sending them" if self.busy else ""
        )


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
    """Make the plans of `paths` and email each to its patient, at most once per version.

    The ledger is checked first: a damaged one stops everything (`OutputError`) before a
    plan is made or a message sent.
    """
    library = load_library(project)
    env = make_environment(library)
    config = smtp_config(library, overrides) if not dry_run else None
    with Ledger.open(project.out, read_only=dry_run) as ledger:
        plans = make_plans(library, env, paths, as_of=as_of, jobs=jobs, reporter=reporter)
        report = EmailReport(plans)
        queue = _compose_all(report, library, env, now(), as_of, resend, ledger)
        if dry_run:
            report.mode = "dry-run"
            report.outbox = project.outbox_dir
            remove_leftovers(project.outbox_dir, older_than=time.time())  # from a killed dry run
            report.sent = [_write_eml(project, outgoing) for outgoing in queue]
        elif queue and not confirm(queue):
            report.mode = "cancelled"
        elif queue and config is not None:
            _send_all(queue, config, sender_factory, ledger, now, resend, report)
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
    as_of: dt.date,
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
                strings=draft.strings,
                plan=report.plans.versions[draft.patient.id],
                as_of=as_of,
                library=library,
                env=env,
                now=now,
                resend=resend,
            )
        except RecordError as error:
            report.failed += [problem.within(draft.source) for problem in error.problems]
            continue
        status = ledger.status(outgoing.patient_id, outgoing.version)
        if status is Status.NEW or (resend and status is not Status.BUSY):
            queue.append(
                _same_message_id(outgoing, ledger) if status is Status.UNKNOWN else outgoing
            )
        else:
            _note(report, outgoing.patient_id, status)
    return queue


def _same_message_id(outgoing: Outgoing, ledger: Ledger) -> Outgoing:
    """A possibly delivered message sent again keeps its Message-ID, so that a mail program
    that got both shows one."""
    first = ledger.message_id(outgoing.patient_id, outgoing.version)
    if first:
        outgoing.message.replace_header("Message-ID", first)
    return outgoing


def _note(report: EmailReport, patient_id: str, status: Status) -> None:
    """Count a message this run leaves alone, and say why."""
    if status is Status.SENT:
        report.skipped.append(patient_id)
    elif status is Status.BUSY:
        report.busy.append(patient_id)
        logger.info("%s: another r2r run is sending it right now; left to that run", patient_id)
    else:
        report.earlier.append(patient_id)
        logger.warning(
            "%s: may have been delivered by an earlier run (the mail server never confirmed "
            "it), so it is not sent again: ask the patient whether it arrived, and if not, "
            "send it with --resend",
            patient_id,
        )


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
    resend: bool,
    report: EmailReport,
) -> None:
    try:
        with sender_factory(config) as sender:
            for outgoing in queue:
                _send_one(outgoing, sender, ledger, now, resend, report)
    except Stopped as stopped:
        _not_sent(queue, report, f"not sent: {stopped}")
    except OutputError as error:  # the ledger cannot be written: nothing more may go out
        report.failed += error.problems
        _not_sent(queue, report, "not sent: the email ledger cannot be written (see above)")


def _send_one(
    outgoing: Outgoing,
    sender: SmtpSender,
    ledger: Ledger,
    now: Callable[[], dt.datetime],
    resend: bool,
    report: EmailReport,
) -> None:
    """Claim the message in the ledger, send it, and record how it went, in that order."""
    key = (outgoing.patient_id, outgoing.version)
    message_id = str(outgoing.message["Message-ID"])
    status = ledger.claim(*key, message_id, now(), resend=resend)
    if status is not Status.CLAIMED:
        _note(report, outgoing.patient_id, status)
        return
    try:
        sender.send(outgoing.message, outgoing.address)
    except Refused as refused:
        ledger.release(*key)
        report.failed.append(Problem(outgoing.patient_id, f"not sent: {refused}"))
        return
    except Unconfirmed as lost:
        _settle(ledger, outgoing, "unknown", now())
        report.unconfirmed.append(Problem(outgoing.patient_id, _possibly_delivered(lost)))
        return
    except Stopped:
        ledger.release(*key)
        raise
    _settle(ledger, outgoing, "sent", now())
    report.sent.append(outgoing.patient_id)


def _settle(ledger: Ledger, outgoing: Outgoing, state: str, when: dt.datetime) -> None:
    try:
        ledger.settle(outgoing.patient_id, outgoing.version, state, when)
    except OutputError as error:
        reason = (
            "was handed to the mail server, but the ledger could not record it; a later run "
            "counts it as possibly delivered"
        )
        raise OutputError([Problem(outgoing.patient_id, reason), *error.problems]) from None


def _possibly_delivered(lost: Unconfirmed) -> str:
    return (
        f"may have been delivered: the mail server received the whole message, then {lost} "
        "before it confirmed. It is recorded as possibly delivered and is not sent again: "
        "ask the patient whether it arrived, and if not, send it with --resend"
    )


def _not_sent(queue: Sequence[Outgoing], report: EmailReport, message: str) -> None:
    done = report.handled()
    report.failed += [Problem(o.patient_id, message) for o in queue if o.patient_id not in done]
