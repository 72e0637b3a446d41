"""The `r2r` command: thin over the library. Heavy modules load inside each command."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click

from generator import __version__


class Outcome(Protocol):
    """What a library function returns to a command: its exit status and its summary."""

    @property
    def exit_code(self) -> int: ...

    def summary(self) -> list[str]: ...


@dataclass(frozen=True)
class RunOptions:
    """The options every command shares."""

    root: Path
    out: Path | None
    jobs: int | None
    strict: bool
    quiet: bool
    verbose: bool


def run_options(
    *, out: bool = True, jobs: bool = True, strict: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the common options a command uses to it: --out, --jobs and --strict where asked,
    --quiet and --verbose always. Those it does not use reach it as None or False."""
    offered = {"out": out, "jobs": jobs, "strict": strict, "quiet": True, "verbose": True}
    options = {
        "out": click.option(
            "--out",
            type=click.Path(file_okay=False, path_type=Path),
            help="Output root holding site/, plans/, outbox/ [default: PROJECT/output]",
        ),
        "jobs": click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            help="Worker processes for PDFs [default: the number of CPUs]",
        ),
        "strict": click.option(
            "--strict", is_flag=True, help="Treat warnings as failures (exit 1)."
        ),
        "quiet": click.option("--quiet", "-q", is_flag=True, help="Print errors only."),
        "verbose": click.option(
            "--verbose",
            "-v",
            is_flag=True,
            help="Say which files are read and which outputs are made or skipped, and why.",
        ),
    }

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name, None) for name in offered}
            root = click.get_current_context().find_root().params["project"]
            shared = RunOptions(
                root,
                given["out"],
                given["jobs"],
                bool(given["strict"]),
                bool(given["quiet"]),
                bool(given["verbose"]),
            )
            return command(shared, *args, **kwargs)

        for name in reversed(list(options)):
            if offered[name]:
                wrapper = options[name](wrapper)
        return wrapper

    return decorate


def execute(
    options: RunOptions,
    action: Callable[..., Outcome],
    *,
    report_to_stdout: bool = False,
) -> None:
    """Run `action(project, reporter)`, print its summary, and exit with the contract's status.

    The summary goes to stderr, except for a command whose report is its output (`check`).
    Error lines always go to stderr, even with --quiet.
    """
    from generator.core.errors import R2RError
    from generator.core.project import Project
    from generator.core.reporting import TerminalReporter, setup_logging

    counter = setup_logging(quiet=options.quiet, verbose=options.verbose)
    project = Project.at(options.root, options.out)
    try:
        outcome = action(project, TerminalReporter(quiet=options.quiet))
    except R2RError as error:
        for line in error.format().splitlines():
            click.echo(f"error: {line}", err=True)
        sys.exit(error.exit_code)
    for line in outcome.summary():
        if line.startswith("error:"):
            click.echo(line, err=True)
        elif not options.quiet:
            click.echo(line, err=not report_to_stdout)
    code = outcome.exit_code
    if options.strict and counter.warnings and code == 0:
        click.echo(
            f"error: {counter.warnings} warning(s), and --strict makes warnings fail", err=True
        )
        code = 1
    sys.exit(code)


class Command(click.Command):
    """A command whose line in `r2r --help` is its help's whole first paragraph."""

    def get_short_help_str(self, limit: int = 45) -> str:
        return " ".join((self.short_help or self.help or "").split("\n\n")[0].split())


class Group(click.Group):
    """The `r2r` group: its commands, and those of its subgroups, are `Command`s."""

    command_class = Command
    group_class = type  # a subgroup is a `Group` too

    def get_short_help_str(self, limit: int = 45) -> str:
        return Command.get_short_help_str(self, limit)  # type: ignore[arg-type]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (the one holding site.toml).",
)
@click.version_option(__version__, prog_name="r2r")
def main(project: Path) -> None:
    """return2run: education and personalised return-to-run plans after a bone stress injury.

    Builds the public website and printable handouts from content/, and private dated plans
    from patient files. Exit status: 0 done; 1 some records failed (each is named, the others
    are written); 2 usage, settings or content error (nothing is written).
    """


def _build_command(name: str, help_text: str, *, site: bool, handouts: bool) -> None:
    @main.command(name=name, help=help_text)
    @run_options()
    def command(options: RunOptions) -> None:
        from generator.outputs.build import build

        execute(
            options,
            lambda project, reporter: build(
                project, site=site, handouts=handouts, jobs=options.jobs, reporter=reporter
            ),
        )


def _as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("must be a date written YYYY-MM-DD") from None


AS_OF = click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="The date the plan is made on, YYYY-MM-DD [default: today].",
)
PATIENTS_FOLDER = "patients"
PATIENTS = click.argument(
    "patients", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[PATIENTS]..."
)


def patients_or_default(root: Path, patients: tuple[Path, ...]) -> tuple[Path, ...]:
    """The PATIENTS given, or the project's `patients/` folder when none are: a usage error
    (exit 2) if that folder does not exist."""
    if patients:
        return patients
    folder = root / PATIENTS_FOLDER
    if not folder.is_dir():
        raise click.UsageError(
            f"no PATIENTS given, and there is no {folder} folder to read them from"
        )
    return (folder,)


@main.command()
@PATIENTS
@AS_OF
@click.option(
    "--print",
    "print_batch",
    is_flag=True,
    help="Also write OUT/plans/print-DATE.pdf: every plan of the batch in one file for the "
    "printer, each starting on a right-hand page.",
)
@run_options()
def plans(
    options: RunOptions, patients: tuple[Path, ...], as_of: str | None, print_batch: bool
) -> None:
    """Make a dated plan (plan.pdf and plan.ics) for each patient, in OUT/plans/<id>/.

    PATIENTS are YAML patient files, folders of them, or CSV exports of a spreadsheet
    [default: PROJECT/patients]. Each bad record is named (file, row, field) and the others
    are still made.

    Exit status: 0 all plans made; 1 some records or plans failed (the others are written);
    2 settings or content error (nothing is written).
    """
    day = _as_of(as_of)
    chosen = patients_or_default(options.root, patients)
    from generator.outputs.plans import build_plans

    execute(
        options,
        lambda project, reporter: build_plans(
            project,
            chosen,
            as_of=day,
            jobs=options.jobs,
            reporter=reporter,
            print_batch=print_batch,
        ),
    )


@main.command()
@PATIENTS
@AS_OF
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write each message to OUT/outbox/<id>.eml instead of sending it.",
)
@click.option("--resend", is_flag=True, help="Send again plans already sent or possibly delivered.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before sending.")
@click.option("--smtp-host", help="The SMTP server [default: site.toml].")
@click.option("--smtp-port", type=click.IntRange(1, 65535), help="Its port [default: site.toml].")
@click.option(
    "--smtp-security",
    type=click.Choice(["starttls", "ssl", "none"]),
    help="starttls, ssl or none [default: site.toml].",
)
@run_options()
def email(
    options: RunOptions,
    patients: tuple[Path, ...],
    as_of: str | None,
    dry_run: bool,
    resend: bool,
    yes: bool,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: Any,
) -> None:
    """Email each patient their plan (plan.pdf and plan.ics), once per version of the plan.

    Makes each plan first if it is missing or out of date. A ledger,
    OUT/email-ledger.sqlite, records every message, so a re-run, or a second run at the same
    time, sends only what is missing or changed. A message the server took but never
    confirmed (the connection broke after the whole message was sent) is recorded as possibly
    delivered and is sent again only with --resend. The user name and password come from the
    environment variables that site.toml names. On a terminal, shows who will get a message
    and asks first (--yes skips the question); without a terminal (a scheduled job) it
    sends only with --yes. PATIENTS as for `r2r plans` [default: PROJECT/patients].

    Exit status: 0 all sent (or already sent); 1 some plans or messages failed or may not
    have arrived, the ledger cannot be used, or sending was cancelled (the others are sent
    and recorded); 2 usage (no terminal to ask on and no --yes), settings or content error.
    """
    day = _as_of(as_of)
    chosen = patients_or_default(options.root, patients)
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    if not (yes or dry_run or terminal):
        raise click.UsageError(
            "no terminal to ask on before sending: give --yes to send from a scheduled job "
            "(or --dry-run to write the messages without sending them)"
        )
    from generator.mail.delivery import SmtpOverrides, email_plans

    overrides = SmtpOverrides(smtp_host, smtp_port, smtp_security)
    ask = not yes and terminal
    execute(
        options,
        lambda project, reporter: email_plans(
            project,
            chosen,
            as_of=day,
            dry_run=dry_run,
            resend=resend,
            overrides=overrides,
            confirm=_ask_before_sending if ask else lambda queue: True,
            jobs=options.jobs,
            reporter=reporter,
        ),
    )


def _ask_before_sending(queue: Any) -> bool:
    click.echo(f"About to send {len(queue)} message(s):", err=True)
    for outgoing in queue:
        click.echo(f"  {outgoing.patient_id}  {outgoing.address}", err=True)
    return click.confirm("Send them now?", default=False, err=True)


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port on 127.0.0.1 (0: any free port).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
@click.option("--handouts", is_flag=True, help="Rebuild the handouts too (slower).")
@run_options(strict=False)
def serve(options: RunOptions, port: int, no_browser: bool, handouts: bool) -> None:
    """Preview the website on this computer, rebuilding and reloading as you edit.

    Builds the site, serves OUT/site/ on http://127.0.0.1:PORT/ (only this computer can see
    it), watches content/, templates/ and site.toml, rebuilds what changed and reloads the
    open tabs. A bad edit shows its error and the last good build stays up. Stop with Ctrl+C.

    Exit status: 0 stopped; 2 the port cannot be used.
    """
    import webbrowser

    from generator.core.project import Project
    from generator.core.reporting import setup_logging
    from generator.outputs.preview import PreviewServer

    setup_logging(quiet=options.quiet, verbose=True)
    try:
        server = PreviewServer(
            Project.at(options.root, options.out), port, handouts=handouts, jobs=options.jobs
        )
    except OSError as error:
        click.echo(f"error: cannot serve on port {port}: {error.strerror}", err=True)
        sys.exit(2)
    server.start()
    click.echo(f"Serving on {server.url} (Ctrl+C to stop)", err=True)
    if not no_browser:
        webbrowser.open(server.url)
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()


@main.group()
def checkins() -> None:
    """The sessions patients log: read back from their filled plans."""


@checkins.command("import")
@click.argument(
    "pdfs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILLED.pdf...",
)
@click.option(
    "--patients",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder of patient files [default: PROJECT/patients].",
)
@click.option("--dry-run", is_flag=True, help="Show what would be added; write nothing.")
@run_options(out=False, jobs=False, strict=False)
def import_checkins(
    options: RunOptions, pdfs: tuple[Path, ...], folder: Path | None, dry_run: bool
) -> None:
    """Add the sessions logged on filled plans (plan.pdf forms) to the patients' files.

    Each PDF names its patient: their YAML file in the patients folder gains one check-in per
    filled row, at the stage the plan had for it, with its comments and layout kept. Then a
    line per patient says what the new plan will do. Importing a PDF again adds nothing.

    Exit status: 0 all imported; 1 some PDFs failed (each problem is named: PDF, row, field;
    nothing of those PDFs is written, the others are); 2 settings or content error.
    """
    from generator.patients.checkin_import import import_into_project

    today = dt.date.today()

    def action(project: Any, reporter: Any) -> Any:
        where = folder or project.root / "patients"
        return import_into_project(project, pdfs, where, today=today, dry_run=dry_run)

    execute(options, action, report_to_stdout=True)


@main.command("new-patient")
@click.argument("patient_id", metavar="ID")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the file [default: PROJECT/patients].",
)
@run_options(out=False, jobs=False, strict=False)
def new_patient(options: RunOptions, patient_id: str, folder: Path | None) -> None:
    """Write a commented patient file, ID.yaml, ready to fill in (never overwrites one).

    Exit status: 0 written; 2 the id is not valid or the file exists.
    """
    from generator.outputs.new_patient import write_patient_file

    def action(project: Any, reporter: Any) -> Any:
        return write_patient_file(project, patient_id, folder or project.root / "patients")

    execute(options, action)


@main.group()
def translations() -> None:
    """Keep translated pages (content/<language>/*.md) true to the pages they translate."""


@translations.command("stamp")
@click.argument("pages", nargs=-1, required=True, type=click.Path(path_type=Path))
@run_options(out=False, jobs=False, strict=False)
def translations_stamp(options: RunOptions, pages: tuple[Path, ...]) -> None:
    """Record in each translated PAGE the version of the page it translates, as it is now.

    Run it once a translation says what its source page says: `r2r check` then warns when the
    source changes again. Only the page's `translated_from` line is written.

    Exit status: 0 done; 2 settings error, or a PAGE that is not a translation (nothing is
    written).
    """
    from generator.content.settings import load_settings
    from generator.content.translations import stamp

    def action(project: Any, reporter: Any) -> Any:
        return stamp(project, load_settings(project), pages)

    execute(options, action)


@main.command()
@PATIENTS
@AS_OF
@run_options(out=False, jobs=False)
def check(options: RunOptions, patients: tuple[Path, ...], as_of: str | None) -> None:
    """Validate settings, content, protocols, links, readability, or patient files.

    Writes nothing. Without PATIENTS, prints each page's reading grade, source count and
    review date; warnings (a grade above 8, missing or uncited sources, a review older than
    a year, a broken link) fail the check only with --strict. With PATIENTS (files, folders
    or CSV exports), checks those patients as `r2r plans` would read them on the --as-of
    date, against the project's settings, protocols and injury sites.

    Exit status: 0 valid; 1 a patient record is invalid, or warnings under --strict;
    2 settings or content error.
    """
    from generator.outputs.check import check as run_check

    today = dt.date.today()
    day = _as_of(as_of)
    execute(
        options,
        lambda project, reporter: run_check(project, today=today, patients=patients, as_of=day),
        report_to_stdout=True,
    )


@main.command()
@PATIENTS
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="The day to read the caseload on, YYYY-MM-DD [default: today].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the caseload as JSON.")
@run_options(jobs=False, strict=False)
def status(
    options: RunOptions, patients: tuple[Path, ...], as_of: str | None, as_json: bool
) -> None:
    """The caseload: one line per patient, the ones who need the clinic first.

    Paused by a red day, then waiting for a clinic review, then quiet (no check-in for more
    than status.quiet_days of site.toml while sessions were due), on track, finished, not
    started. PATIENTS are patient files, folders or CSV exports [default: PROJECT/patients].
    Also writes the private, printable OUT/plans/caseload.html with each patient's pain chart.

    Exit status: 0 every patient listed; 1 some records could not be read (each is named,
    the others are listed); 2 settings or content error.
    """
    day = _as_of(as_of)
    chosen = patients_or_default(options.root, patients)
    from generator.outputs.caseload import build_status

    execute(
        options,
        lambda project, reporter: build_status(project, chosen, as_of=day, as_json=as_json),
        report_to_stdout=True,
    )


_EXIT = (
    "\n\nExit status: 0 done; 1 some handouts failed (named on stderr, the others are "
    "written); 2 settings or content error (nothing is written)."
)
_build_command(
    "build", "Build the website and the handouts into OUT/site/." + _EXIT, site=True, handouts=True
)
_build_command(
    "site",
    "Build the website only (HTML, assets, sitemap) into OUT/site/."
    "\n\nExit status: 0 done; 2 settings or content error (nothing is written).",
    site=True,
    handouts=False,
)
_build_command(
    "handouts",
    "Build the printable handouts only, into OUT/site/handouts/." + _EXIT,
    site=False,
    handouts=True,
)
