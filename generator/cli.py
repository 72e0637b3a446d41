"""The `r2r` command: thin over the library. Heavy modules load inside each command."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click

from . import __version__


class Outcome(Protocol):
    @property
    def exit_code(self) -> int: ...


@dataclass(frozen=True)
class RunOptions:
    """The options every command shares."""

    root: Path
    out: Path | None
    jobs: int | None
    strict: bool
    quiet: bool
    verbose: bool


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the common options (--out, --jobs, --strict, --quiet, --verbose) to a command."""
    options = [
        click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                     help="Output root holding site/, plans/, outbox/ [default: PROJECT/output]"),
        click.option("--jobs", "-j", type=click.IntRange(min=1),
                     help="Worker processes for PDFs [default: the number of CPUs]"),
        click.option("--strict", is_flag=True, help="Treat warnings as failures (exit 1)."),
        click.option("--quiet", "-q", is_flag=True, help="Print errors only."),
        click.option("--verbose", "-v", is_flag=True, help="Print what is done, step by step."),
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, out: Path | None, jobs: int | None, strict: bool, quiet: bool,
                verbose: bool, **kwargs: Any) -> Any:
        root = click.get_current_context().find_root().params["project"]
        return command(RunOptions(root, out, jobs, strict, quiet, verbose), *args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def execute(options: RunOptions, action: Callable[..., Outcome],
            summary: Callable[[Any], list[str]], *, report_to_stdout: bool = False) -> None:
    """Run `action(project, reporter)`, print its summary, and exit with the contract's status.

    The summary goes to stderr, except for a command whose report is its output (`check`).
    Error lines always go to stderr, even with --quiet.
    """
    from .errors import R2RError
    from .project import Project
    from .reporting import TerminalReporter, setup_logging

    counter = setup_logging(quiet=options.quiet, verbose=options.verbose)
    project = Project.at(options.root, options.out)
    try:
        outcome = action(project, TerminalReporter(quiet=options.quiet))
    except R2RError as error:
        for line in error.format().splitlines():
            click.echo(f"error: {line}", err=True)
        sys.exit(error.exit_code)
    for line in summary(outcome):
        if line.startswith("error:"):
            click.echo(line, err=True)
        elif not options.quiet:
            click.echo(line, err=not report_to_stdout)
    code = outcome.exit_code
    if options.strict and counter.warnings and code == 0:
        click.echo(f"error: {counter.warnings} warning(s), and --strict makes warnings fail",
                   err=True)
        code = 1
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The project folder (the one holding site.toml).")
@click.version_option(__version__, prog_name="r2r")
def main(project: Path) -> None:
    """return2run: education and personalised return-to-run plans after a bone stress injury.

    Builds the public website and printable handouts from content/, and private dated plans
    from patient files. Exit status: 0 done; 1 some records failed (each is named, the others
    are written); 2 usage, settings or content error (nothing is written).
    """


def _build_command(name: str, help_text: str, *, site: bool, handouts: bool) -> None:
    @main.command(name=name, help=help_text)
    @run_options
    def command(options: RunOptions) -> None:
        from .build import build
        from .summaries import build_summary

        execute(options, lambda project, reporter: build(
            project, site=site, handouts=handouts, jobs=options.jobs, reporter=reporter),
            build_summary)


@main.command()
@run_options
def check(options: RunOptions) -> None:
    """Validate settings, content, protocols, links and readability; write nothing.

    Prints each page's reading grade, source count and review date. Warnings (a grade above 8,
    missing or uncited sources, a review older than a year, a broken link) fail the check only
    with --strict.

    Exit status: 0 valid; 1 warnings under --strict; 2 settings or content error.
    """
    import datetime as dt

    from .check import check as run_check
    from .summaries import check_summary

    execute(options, lambda project, reporter: run_check(project, today=dt.date.today()),
            check_summary, report_to_stdout=True)


_EXIT = ("\n\nExit status: 0 done; 1 some handouts failed (named on stderr, the others are "
         "written); 2 settings or content error (nothing is written).")
_build_command("build", "Build the website and the handouts into OUT/site/." + _EXIT,
               site=True, handouts=True)
_build_command("site", "Build the website only (HTML, assets, sitemap) into OUT/site/." + _EXIT,
               site=True, handouts=False)
_build_command("handouts", "Build the printable handouts only, into OUT/site/handouts/." + _EXIT,
               site=False, handouts=True)
