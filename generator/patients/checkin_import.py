"""`r2r checkins import`: the patients' filled plan forms, back into their patient files.

Each PDF is imported on its own, whole or not at all: its filled rows become check-ins at the
stage the plan had for them, the patient file (found by the id the PDF carries) gains them in
place, and the result must still be a valid patient file whose check-ins replay, or nothing of
that PDF is written. Importing the same PDF again adds nothing; a row whose day is already
logged with other values is left for the clinic to decide. Messages name the PDF, the row
(its date) and the field, never a value the patient wrote.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.content.injury_sites import InjurySite
from generator.content.library import load_library
from generator.content.protocols import Protocol
from generator.core.atomic import write_atomic
from generator.core.errors import OutputError, Problem, RecordError
from generator.core.files import Unreadable
from generator.core.project import Project
from generator.core.yamlio import YamlProblem, parse_yaml
from generator.patients.model import CheckIn, Patient, patient_id_problem, resolve_protocol
from generator.patients.patient_file_edit import EditProblem, add_checkins
from generator.patients.plan_form import NotAPlan, PlanForm, Row, read_plan_form
from generator.patients.readers import (
    PatientRecord,
    patient_files,
    read_patient_file,
    read_patients,
    yaml_record,
)
from generator.patients.schedule import Light, Schedule, ScheduleProblem, make_schedule

PAIN = re.compile(r"\d{1,2}")
REQUIRED = ("pain_during", "pain_next_morning")
_CHECKIN = re.compile(r"checkins\[(\d+)\]\.?(.*)")


@dataclass(frozen=True)
class ImportContext:
    """What an imported check-in is checked against: the protocols, the injury sites, the clinic's
    holidays and the day of the import (no check-in may come after it)."""

    protocols: Mapping[str, Protocol]
    sites: Mapping[str, InjurySite]
    holidays: frozenset[dt.date]
    as_of: dt.date


@dataclass(frozen=True)
class Added:
    """A check-in the import added: its day, stage and traffic light."""

    date: dt.date
    stage: int
    light: Light


@dataclass(frozen=True)
class Imported:
    """What one PDF did to its patient's file, and what the new plan says."""

    pdf: str
    patient_id: str
    file: str
    added: tuple[Added, ...]
    outcome: str  # "amber on 3 Dec: back to stage 2"


@dataclass
class ImportReport:
    """Every PDF imported, and the problems of those that were not."""

    dry_run: bool = False
    imported: list[Imported] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # the PDFs with problems

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> list[str]:
        """An error line per problem, a line per imported PDF, then the totals."""
        lines = [f"error: {problem}" for problem in self.problems]
        lines += [_describe(item, self.dry_run) for item in self.imported]
        added = sum(len(item.added) for item in self.imported)
        verb = "would be added" if self.dry_run else "added"
        lines.append(
            f"checkins: {added} {verb} from {len(self.imported)} plans, "
            f"{len(self.failed)} failed" + (" (dry run: nothing written)" if self.dry_run else "")
        )
        return lines


def import_into_project(
    project: Project, pdfs: Iterable[Path], folder: Path, *, today: dt.date, dry_run: bool = False
) -> ImportReport:
    """Load the project's library (settings, content, protocols), then `import_checkins`."""
    library = load_library(project)
    context = ImportContext(
        library.protocols,
        library.injury_sites,
        frozenset(library.settings.plans.holidays),
        today,
    )
    return import_checkins(pdfs, folder, context, dry_run=dry_run)


def import_checkins(
    pdfs: Iterable[Path], folder: Path, context: ImportContext, *, dry_run: bool = False
) -> ImportReport:
    """Import each filled plan in `pdfs` into its patient's file in `folder`.

    A PDF with any problem writes nothing and the others are still imported; with `dry_run`
    nothing is written at all.
    """
    report = ImportReport(dry_run=dry_run)
    files = patient_index(folder, context)
    for pdf in pdfs:
        try:
            report.imported.append(import_one(pdf, folder, files, context, dry_run=dry_run))
        except RecordError as error:
            report.problems.extend(error.problems)
            report.failed.append(str(pdf))
    return report


def patient_index(folder: Path, context: ImportContext) -> dict[str, Path]:
    """The YAML patient files of `folder`, by patient id (files with problems are left out:
    `r2r check` names them)."""
    yaml_files = [p for p in patient_files([folder]) if p.suffix.lower() != ".csv"]
    records = read_patients(
        yaml_files, protocols=context.protocols, sites=context.sites, as_of=context.as_of
    )
    return {r.patient.id: Path(r.source) for r in records if r.ok and r.patient is not None}


def import_one(
    pdf: Path,
    folder: Path,
    files: Mapping[str, Path],
    context: ImportContext,
    *,
    dry_run: bool = False,
) -> Imported:
    """Import one filled plan into its patient's file, one of `files` (by id) in `folder`,
    whole or not at all; `RecordError` with every problem found."""
    name = str(pdf)
    try:
        form = read_plan_form(pdf)
    except NotAPlan as error:
        raise RecordError([error.problem.within(name)]) from None
    if patient_id_problem(form.patient_id):
        raise RecordError([Problem(name, "is not a plan made by r2r plans (its patient id)")])
    path = files.get(form.patient_id)
    if path is None:
        message = (
            f"is the plan of {form.patient_id}, who has no valid YAML patient file in {folder} "
            "(r2r check names the problems of a file)"
        )
        raise RecordError([Problem(name, message)])
    text, record = _current(path, context)
    assert record.patient is not None
    entries = new_checkins(form, record.patient, name, path.name)
    new_text = _edited(text, entries, name, path)
    patient, schedule = _checked(new_text, path, context, name)
    if entries and not dry_run:
        try:
            write_atomic(path, new_text.encode(), private=True)
        except OutputError as error:
            raise RecordError([p.within(name) for p in error.problems]) from None
    days = {entry["date"] for entry in entries}
    added = tuple(
        Added(log.date, log.stage.number, log.light) for log in schedule.logged if log.date in days
    )
    return Imported(name, patient.id, str(path), added, outcome(schedule, days))


def _current(path: Path, context: ImportContext) -> tuple[str, PatientRecord]:
    """The patient file's text now, and its record (it may have changed since the index)."""
    try:
        text = read_patient_file(path)
    except Unreadable as unreadable:
        raise RecordError([unreadable.problem.within(str(path))]) from None
    record = yaml_record(
        text, str(path), protocols=context.protocols, sites=context.sites, as_of=context.as_of
    )
    if not record.ok:
        raise RecordError(list(record.problems))
    return text, record


def new_checkins(
    form: PlanForm, patient: Patient, pdf: str, file_name: str
) -> list[dict[str, Any]]:
    """The check-ins of the form's filled rows that the patient file does not have yet.

    `RecordError` with a problem per bad value, and per row already logged otherwise."""
    logged = {checkin.date: checkin for checkin in patient.checkins}
    entries, problems = [], []
    for row in form.rows:
        if not row.filled:
            continue
        where = f"{pdf}: row {row.date.isoformat()}"
        entry, row_problems = checkin_of(row, where)
        problems += row_problems
        if entry is None:
            continue
        if row.date not in logged:
            entries.append(entry)
        elif not _same(logged[row.date], entry):
            message = (
                f"is already logged in {file_name} with other values: left for the clinic to "
                "decide (correct the file or the form, then import again)"
            )
            problems.append(Problem(where, message))
    if problems:
        raise RecordError(problems)
    return entries


def checkin_of(row: Row, where: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A filled row as a check-in (the fields of a patient file), or its problems."""
    problems, pains = [], {}
    for name in ("pain_during", "pain_evening", "pain_next_morning"):
        value = row.text[name].strip()
        if not value:
            if name in REQUIRED:
                problems.append(Problem(f"{where}: {name}", _missing(name)))
        elif PAIN.fullmatch(value) and int(value) <= 10:
            pains[name] = int(value)
        else:
            problems.append(Problem(f"{where}: {name}", "must be a whole number from 0 to 10"))
    if problems:
        return None, problems
    entry: dict[str, Any] = {"date": row.date, "stage": row.stage, **pains}
    if "soreness" in row.ticked:
        entry["soreness_next_morning"] = True
    if "red_flag" in row.ticked:
        entry["red_flags"] = ["ticked_on_log"]
    note = " ".join("".join(c if c.isprintable() else " " for c in row.text["note"]).split())
    if note:
        entry["note"] = note
    return entry, []


def _missing(name: str) -> str:
    when = "during the session" if name == "pain_during" else "the next morning"
    return (
        f"is empty: a filled row needs the pain {when} (0-10); fill it in, or leave the "
        "whole row empty"
    )


def _same(checkin: CheckIn, entry: Mapping[str, Any]) -> bool:
    """Whether a logged check-in says what the row says (a note alone is no difference)."""
    return (
        checkin.stage == entry["stage"]
        and checkin.pain_during == entry["pain_during"]
        and checkin.pain_evening == entry.get("pain_evening")
        and checkin.pain_next_morning == entry["pain_next_morning"]
        and bool(checkin.soreness_next_morning) == ("soreness_next_morning" in entry)
        and bool(checkin.red_flags) == ("red_flags" in entry)
    )


def _edited(text: str, entries: list[dict[str, Any]], pdf: str, path: Path) -> str:
    if not entries:
        return text
    try:
        return add_checkins(text, entries)
    except EditProblem as problem:
        raise RecordError([Problem(f"{pdf}: {path}", str(problem))]) from None


def _checked(text: str, path: Path, context: ImportContext, pdf: str) -> tuple[Patient, Schedule]:
    """The edited file as a patient and their schedule; `RecordError` naming the form's row
    of a check-in that the file refuses."""
    record = yaml_record(
        text, str(path), protocols=context.protocols, sites=context.sites, as_of=context.as_of
    )
    patient = record.patient
    if not record.ok or patient is None:
        days = _checkin_dates(text)
        raise RecordError(
            [_by_row(p.where.removeprefix(f"{path}: "), p, days, pdf) for p in record.problems]
        )
    protocol = resolve_protocol(patient, context.protocols, context.sites)
    assert protocol is not None  # a valid record names a protocol that exists
    try:
        return patient, make_schedule(patient, protocol, holidays=context.holidays)
    except ScheduleProblem as problem:
        days = [checkin.date for checkin in patient.checkins]
        where = Problem(f"{path}: {problem.where}", problem.message)
        raise RecordError([_by_row(problem.where, where, days, pdf)]) from None


def _by_row(where: str, problem: Problem, days: list[dt.date], pdf: str) -> Problem:
    """A problem of the edited file, named by the form's row when it is about a check-in
    (`checkins[3].stage` is `plan.pdf: row 2026-12-03: stage`)."""
    match = _CHECKIN.fullmatch(where)
    if not match or not 0 < int(match.group(1)) <= len(days):
        return problem.within(pdf)
    row = f"{pdf}: row {days[int(match.group(1)) - 1].isoformat()}"
    return Problem(f"{row}: {match.group(2)}" if match.group(2) else row, problem.message)


def _checkin_dates(text: str) -> list[dt.date]:
    """The days of the check-ins of a file that does not load as a patient (`date.min` for
    one without a day)."""
    try:
        data = parse_yaml(text, private=True)
    except YamlProblem:
        return []
    checkins = data.get("checkins") if isinstance(data, dict) else None
    if not isinstance(checkins, list):
        return []
    days = [c.get("date") if isinstance(c, dict) else None for c in checkins]
    return [d if isinstance(d, dt.date) else dt.date.min for d in days]


def outcome(schedule: Schedule, days: set[dt.date]) -> str:
    """What the new plan says after the check-ins of `days`."""
    if schedule.status == "paused" and schedule.paused_on is not None:
        return f"RED on {short_date(schedule.paused_on)}: call the patient"
    if schedule.status == "complete":
        return "the program is finished"
    ambers = [n for n in schedule.notices if n.kind == "amber" and n.date in days]
    if ambers:
        return f"amber on {short_date(ambers[-1].date)}: back to stage {ambers[-1].stage}"
    upcoming = schedule.planned[0] if schedule.planned else None
    if upcoming is None:
        return f"stage {schedule.stage}"
    if upcoming.kind == "review":
        return f"next: a clinic review before stage {upcoming.stage.number}"
    return f"next: stage {upcoming.stage.number} on {short_date(upcoming.date)}"


def short_date(day: dt.date) -> str:
    """`3 Dec`: the clinic's own summary, in the language of the CLI."""
    return f"{day.day} {day:%b}"


def _describe(item: Imported, dry_run: bool) -> str:
    if not item.added:
        return f"{item.patient_id} ({item.pdf}): nothing new, every filled row is in {item.file}"
    verb = "would add" if dry_run else "added"
    lights = ", ".join(f"{short_date(a.date)} {a.light}" for a in item.added)
    count = f"{len(item.added)} check-in" + ("s" if len(item.added) > 1 else "")
    return f"{item.patient_id} ({item.pdf}): {verb} {count} ({lights}); {item.outcome}"
