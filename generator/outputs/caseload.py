"""`r2r status`: the caseload, one line per patient, the ones who need the clinic first.

Every state is read from the patient's schedule (`make_schedule`), never worked out again here:
the schedule pauses a plan on a red day, plans a clinic review at a gate, and finishes the
program. Only "quiet" adds something of its own: no check-in for more than `status.quiet_days`
days of `site.toml` while sessions were due.

The caseload is the clinic's private view: names appear in the terminal and on
`plans/caseload.html` (owner-only, in the private plans folder, never under the site); error
lines name a patient's file, row and field only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jinja2

from generator.content.injury_sites import InjurySite
from generator.content.library import Library, load_library
from generator.content.strings import Strings
from generator.core.atomic import make_dir, write_atomic
from generator.core.errors import Problem
from generator.core.project import Project
from generator.outputs.pain_chart import SMALL, PainChart, pain_chart
from generator.patients.model import Patient, resolve_protocol
from generator.patients.readers import PatientRecord, read_patients
from generator.patients.schedule import Logged, Planned, Schedule, ScheduleProblem, make_schedule
from generator.render.environment import format_day, make_environment, render

State = Literal["paused", "awaiting-review", "quiet", "on-track", "finished", "not-started"]
STATES: tuple[State, ...] = (
    "paused",
    "awaiting-review",
    "quiet",
    "on-track",
    "finished",
    "not-started",
)
CASELOAD_PAGE = "caseload.html"
PER_PAGE = 25  # patients on one printed A4 page


@dataclass(frozen=True)
class Standing:
    """Where a patient stands: their state, and for a quiet one the days without a check-in."""

    state: State
    quiet_days: int = 0


def standing(patient: Patient, schedule: Schedule, *, as_of: dt.date, quiet_after: int) -> Standing:
    """The patient's state on `as_of`, read from their schedule.

    Paused and finished are the schedule's status; awaiting review is a schedule whose next
    step is a clinic review (a gate reached). A patient with sessions due before `as_of` and no
    check-in (nor review) for more than `quiet_after` days is quiet.
    """
    if schedule.status == "paused":
        return Standing("paused")
    if schedule.status == "complete":
        return Standing("finished")
    upcoming = [item for item in schedule.planned if item.kind != "recovery"]
    if upcoming and upcoming[0].kind == "review":
        return Standing("awaiting-review")
    due = [item.date for item in schedule.sessions if item.date < as_of]
    if due:
        since = _last_contact(patient, schedule, as_of) or due[0]
        silent = (as_of - since).days
        if silent > quiet_after:
            return Standing("quiet", silent)
    return Standing("on-track" if schedule.logged else "not-started")


def _last_contact(patient: Patient, schedule: Schedule, as_of: dt.date) -> dt.date | None:
    """The last check-in or clinic review on or before `as_of`."""
    days = [log.date for log in schedule.logged] + [r.on for r in patient.reviews]
    known = [day for day in days if day <= as_of]
    return max(known) if known else None


@dataclass(frozen=True)
class CaseloadLine:
    """One patient of the caseload on `as_of`, with what the table and the JSON show."""

    patient: Patient
    site: InjurySite
    schedule: Schedule
    standing: Standing
    attention: str
    chart: PainChart | None
    as_of: dt.date

    @property
    def state(self) -> State:
        return self.standing.state

    @property
    def stages(self) -> int:
        return len(self.schedule.protocol.stages)

    @property
    def last_checkin(self) -> Logged | None:
        return self.schedule.logged[-1] if self.schedule.logged else None

    @property
    def next_session(self) -> Planned | None:
        """The next thing to do on the plan: a session or a clinic review."""
        return next((p for p in self.schedule.planned if p.kind != "recovery"), None)

    @property
    def overdue(self) -> bool:
        """Whether the next session or review was due before `as_of` and is not logged.

        The schedule never moves a session (`as_of` only says which are past), so a patient
        who stopped logging keeps a next session in the past; the caseload says so.
        """
        upcoming = self.next_session
        return upcoming is not None and upcoming.date < self.as_of

    def as_json(self) -> dict[str, Any]:
        """The line as `r2r status --json` prints it."""
        last, upcoming = self.last_checkin, self.next_session
        return {
            "id": self.patient.id,
            "state": self.state,
            "stage": self.schedule.stage,
            "stages": self.stages,
            "last_checkin": last and {"date": last.date.isoformat(), "light": last.light},
            "next_session": upcoming
            and {
                "date": upcoming.date.isoformat(),
                "kind": upcoming.kind,
                "stage": upcoming.stage.number,
                "overdue": self.overdue,
            },
            "attention": self.attention,
        }


@dataclass
class CaseloadReport:
    """What `r2r status` found: the caseload in order, and the records it could not read."""

    lines: list[CaseloadLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unread: int = 0  # records that could not be read or replayed
    strings: Strings | None = None
    as_json: bool = False
    page: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def summary(self) -> list[str]:
        """An error line per problem, then the caseload: JSON, or a table for the terminal."""
        errors = [f"error: {problem}" for problem in self.problems]
        if self.as_json:
            return [*errors, json.dumps([line.as_json() for line in self.lines], indent=2)]
        assert self.strings is not None  # set by caseload_lines
        return [*errors, *terminal_table(self.lines, self.strings)]


def attention_text(
    patient: Patient, schedule: Schedule, standing: Standing, strings: Strings
) -> str:
    """What the clinic needs to do, in a few words."""
    words = strings.caseload.attention
    upcoming = [p for p in schedule.planned if p.kind != "recovery"]
    state = standing.state
    if state == "paused" and schedule.paused_on is not None:
        return words.paused.format(date=format_day(schedule.paused_on, strings))
    if state == "awaiting-review":
        return words.awaiting_review.format(stage=upcoming[0].stage.number)
    if state == "quiet":
        return words.quiet.format(days=standing.quiet_days)
    if state == "not-started" and upcoming:
        return words.not_started.format(date=format_day(upcoming[0].date, strings))
    return str(words[state.replace("-", "_")])


def caseload_lines(
    records: Iterable[PatientRecord], library: Library, *, as_of: dt.date
) -> CaseloadReport:
    """The caseload of the valid records, in the order the clinic works through it, and the
    problems of every record that cannot be read or replayed."""
    lines: list[CaseloadLine] = []
    report = CaseloadReport(lines, strings=library.strings)
    quiet_after = library.settings.status.quiet_days
    for record in records:
        if not record.ok or record.patient is None:
            report.problems += record.problems
            report.unread += 1
            continue
        patient = record.patient
        try:
            schedule = _schedule(patient, library)
        except ScheduleProblem as problem:
            report.problems.append(Problem(f"{record.source}: {problem.where}", problem.message))
            report.unread += 1
            continue
        where = standing(patient, schedule, as_of=as_of, quiet_after=quiet_after)
        attention = attention_text(patient, schedule, where, library.strings)
        site = library.injury_sites[patient.injury.site]
        lines.append(
            CaseloadLine(
                patient, site, schedule, where, attention, pain_chart(schedule, SMALL), as_of
            )
        )
    lines.sort(key=lambda line: (STATES.index(line.state), line.patient.id))
    return report


def _schedule(patient: Patient, library: Library) -> Schedule:
    protocol = resolve_protocol(patient, library.protocols, library.injury_sites)
    if protocol is None:  # a valid record always has one
        raise ScheduleProblem("plan.protocol", "names no protocol of the library")
    holidays = frozenset(library.settings.plans.holidays)
    return make_schedule(patient, protocol, holidays=holidays)


def terminal_table(lines: Sequence[CaseloadLine], strings: Strings) -> list[str]:
    """The caseload as aligned columns for a terminal."""
    words = strings.caseload
    heads = words.columns
    rows = [
        [
            heads.id,
            heads.name,
            heads.site,
            heads.state,
            heads.stage,
            heads.last_checkin,
            heads.next_session,
            heads.attention,
        ]
    ]
    rows += [_cells(line, strings, iso=True) for line in lines]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]) for r in rows
    ]


def cells(line: CaseloadLine, strings: Strings) -> list[str]:
    """The text of a line's columns, as the caseload page shows them."""
    return _cells(line, strings, iso=False)


def _cells(line: CaseloadLine, strings: Strings, *, iso: bool) -> list[str]:
    words = strings.caseload

    def day(value: dt.date) -> str:
        return value.isoformat() if iso else format_day(value, strings)

    last, upcoming = line.last_checkin, line.next_session
    checkin = (
        words.checkin.format(date=day(last.date), light=strings.plan.lights[last.light])
        if last
        else words.none
    )
    if upcoming is None:
        following = words.none
    else:
        form = words.review if upcoming.kind == "review" else words.session
        following = form.format(date=day(upcoming.date), stage=upcoming.stage.number)
        if line.overdue:
            following = words.overdue.format(next=following)
    return [
        line.patient.id,
        line.patient.name,
        line.site.medical_name,
        str(words.states[line.state.replace("-", "_")]),
        words.stage.format(stage=line.schedule.stage, stages=line.stages),
        checkin,
        following,
        line.attention,
    ]


def caseload_html(
    lines: Sequence[CaseloadLine],
    env: jinja2.Environment,
    strings: Strings,
    *,
    as_of: dt.date,
    unread: int,
) -> str:
    """The private caseload page: the table in pages of `PER_PAGE` patients, with charts."""
    pages = [lines[start : start + PER_PAGE] for start in range(0, len(lines), PER_PAGE)]
    return render(
        env,
        "caseload/caseload.html",
        pages=pages,
        total=len(lines),
        per_page=PER_PAGE,
        cells=lambda line: cells(line, strings),
        as_of=as_of,
        unread=unread,
        t=strings,
    )


def write_caseload_page(project: Project, html: str) -> Path:
    """Write the page into the private plans folder, owner-only, never through a link."""
    folder = project.plans_dir
    target = folder / CASELOAD_PAGE
    make_dir(folder, private=True, root=folder)
    data = html.encode()
    if not (target.is_file() and not target.is_symlink() and target.read_bytes() == data):
        write_atomic(target, data, private=True, root=folder)
    return target


def build_status(
    project: Project, paths: Iterable[Path], *, as_of: dt.date, as_json: bool = False
) -> CaseloadReport:
    """Load the project's library, then `make_caseload` (see there)."""
    library = load_library(project)
    return make_caseload(library, make_environment(library), paths, as_of=as_of, as_json=as_json)


def make_caseload(
    library: Library,
    env: jinja2.Environment,
    paths: Iterable[Path],
    *,
    as_of: dt.date,
    as_json: bool = False,
) -> CaseloadReport:
    """The caseload of the patients in `paths` on `as_of`, and its private page written.

    A record that cannot be read is an error line; the others are still listed and the page
    is still written (exit status 1).
    """
    records = read_patients(
        paths, protocols=library.protocols, sites=library.injury_sites, as_of=as_of
    )
    report = caseload_lines(records, library, as_of=as_of)
    html = caseload_html(report.lines, env, library.strings, as_of=as_of, unread=report.unread)
    report.page = write_caseload_page(library.project, html)
    report.as_json = as_json
    return report
