"""Reading patient files: one YAML file, a folder of them, or a CSV export of a spreadsheet.

Every record is read on its own: a bad record gets problems naming the file, the row (for a
CSV) and the field, and the good records are still returned. A CSV row carries the fields of
a patient file flattened with `_` (`injury_site`, `plan_run_days` as `mon;wed;fri`); it is
read as a spreadsheet exports it: UTF-8 with or without a byte-order mark, comma or semicolon
delimited, quoted cells that may hold line breaks.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import hashlib
import io
import json
import logging
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.content.injury_sites import InjurySite
from generator.content.protocols import Protocol
from generator.core.errors import Problem
from generator.core.files import Unreadable, read_text
from generator.core.schema import Invalid, load
from generator.core.yamlio import YamlProblem, parse_yaml
from generator.patients.model import Catalogue, Patient, protocol_problems

log = logging.getLogger(__name__)
PATIENT_SUFFIXES = (".yaml", ".yml", ".csv")
MAX_FILE_BYTES = 50_000_000


@dataclass(frozen=True)
class PatientRecord:
    """One patient as read: where it came from, and the patient or what is wrong with it."""

    source: str  # e.g. "examples/patients/p1.yaml" or "export.csv: row 3"
    patient: Patient | None
    problems: tuple[Problem, ...] = ()
    digest: str = ""  # of the record's data: a plan is remade when it changes

    @property
    def ok(self) -> bool:
        return self.patient is not None and not self.problems


def read_patients(
    paths: Iterable[Path],
    *,
    protocols: Mapping[str, Protocol],
    sites: Mapping[str, InjurySite],
    as_of: dt.date,
) -> list[PatientRecord]:
    """Every record in `paths` (files or folders), each validated against the library.

    A second record with an id already used gets a problem: its plan would overwrite the
    first one's.
    """
    records = []
    seen: dict[str, str] = {}  # by id in lower case: P1 and p1 are one folder on macOS and Windows
    for source, raw, from_csv in _raw_records(paths):
        patient, problems = _validate(raw, protocols, sites, as_of, from_csv=from_csv)
        folder = patient.id.lower() if patient is not None else ""
        if patient is not None and folder in seen:
            problems.append(
                Problem(
                    "id",
                    f"is also the id of {seen[folder]} (ids that differ "
                    "only in capitals name the same folder)",
                )
            )
        elif patient is not None:
            seen[folder] = source
        located = tuple(_located(p, from_csv).within(source) for p in problems)
        log.info("read %s: %s", source, f"{len(located)} problem(s)" if located else "valid")
        records.append(PatientRecord(source, None if problems else patient, located, _digest(raw)))
    return records


def read_patient_file(path: Path) -> str:
    """The text of one patient file, read through the one file reader (`Unreadable` if it
    cannot be used)."""
    return _read_text(path)


def yaml_record(
    text: str,
    source: str,
    *,
    protocols: Mapping[str, Protocol],
    sites: Mapping[str, InjurySite],
    as_of: dt.date,
) -> PatientRecord:
    """The record of a patient file's `text`, validated as `read_patients` does (for a file
    about to be written, such as one that `r2r checkins import` edits)."""
    raw = _yaml_record(text)
    patient, problems = _validate(raw, protocols, sites, as_of, from_csv=False)
    located = tuple(p.within(source) for p in problems)
    return PatientRecord(source, None if problems else patient, located, _digest(raw))


def patient_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the patient files inside the folders named, in order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.iterdir()
                if not p.name.startswith(".") and p.suffix.lower() in PATIENT_SUFFIXES
            )
        else:
            yield path


def _raw_records(paths: Iterable[Path]) -> Iterator[tuple[str, Any, bool]]:
    """(source, data or a Problem, whether it came from a CSV) for every record."""
    for path in patient_files(paths):
        name = str(path)
        try:
            text = _read_text(path)
        except Unreadable as error:
            yield name, error.problem, False
            continue
        if path.suffix.lower() == ".csv":
            yield from ((f"{name}: {where}", data, True) for where, data in csv_rows(text))
        else:
            yield name, _yaml_record(text), False


def _read_text(path: Path) -> str:
    """The text of a patient file (through the one file reader, inside its own folder). A NUL
    character fails only the record that holds it."""
    if path.suffix.lower() not in PATIENT_SUFFIXES:
        raise Unreadable(Problem("", "is not a patient file (.yaml, .yml or .csv)"))
    folder = path.parent.resolve()  # the folder named on the command line may be a link
    return read_text(path, folder=folder, limit=MAX_FILE_BYTES, label="its folder", nul=True)


def _yaml_record(text: str) -> Any:
    try:
        data = parse_yaml(text, private=True)
    except YamlProblem as error:
        return error.problem
    if not isinstance(data, dict):
        return Problem("", "must be a table of fields (see r2r new-patient)")
    return data


def csv_rows(text: str) -> Iterator[tuple[str, Any]]:
    """("row N", nested data or a Problem) for each data row; the header is row 1."""
    lines = text.splitlines()
    header = lines[0] if lines else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    # strict: a quote that is never closed is an error, not a cell that swallows every row
    # after it (other patients' names and injuries, printed on this patient's plan).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        columns = [c.strip() for c in next(reader)]
    except (StopIteration, csv.Error):
        yield "row 1", Problem("", "has no header row naming the fields")
        return
    unknown = [c for c in columns if c not in FLAT_FIELDS]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        yield "row 1", Problem("", _header_problem(columns, unknown, missing))
        return
    number = 1  # the last row read whole
    try:
        for number, cells in enumerate(reader, 2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                yield (
                    f"row {number}",
                    Problem(
                        "",
                        f"has {len(cells) - len(columns)} more cell(s) than the header has columns",
                    ),
                )
                continue
            yield f"row {number}", unflatten(dict(zip(columns, cells, strict=False)))
    except csv.Error as error:  # in the row after the last one read; nothing from it is used
        yield f"row {number + 1}", Problem("", _csv_problem(error))


def _csv_problem(error: csv.Error) -> str:
    if "unexpected end of data" in str(error):
        return (
            'opens a quote (") that is never closed: close it, or export the file again; '
            "this row and the rows after it are not read"
        )
    return f"is not valid CSV: {error}; this row and the rows after it are not read"


_COLUMN = re.compile(r"[a-z][a-z0-9_]{0,39}")  # how column names look


def _header_problem(columns: list[str], unknown: list[str], missing: list[str]) -> str:
    """What is wrong with the header row; it may really be a patient's row, so only names
    shaped like column names are repeated."""
    known = f"the columns are: {', '.join(FLAT_FIELDS)}"
    blank = [str(n) for n, c in enumerate(columns, 1) if not c]
    if blank:
        return f"has no name for column(s) {', '.join(blank)}: name them or delete them ({known})"
    if unknown:
        shown = [c for c in unknown if _looks_like_a_column(c)]
        hidden = len(unknown) - len(shown)
        named = ", ".join(_with_hint(c) for c in shown)
        listed = f"unknown column(s): {named}" + (f" and {hidden} more" * bool(hidden))
        head = listed if shown else f"{hidden} unknown column(s)"
        hint = (
            " (not shown: is the first row a patient rather than a header, or are the "
            "cells separated by something other than commas or semicolons?)"
        ) * bool(hidden)
        still = [c for c in missing if _meant(c, shown) is None]
        lacks = f"; it has no column {', '.join(still)} (required)" * bool(still)
        return f"has {head}{hint}{lacks} (check-ins can only be given in YAML files; {known})"
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        return f"names a column twice: {', '.join(twice)}"
    return f"has no column {', '.join(missing)} (required; {known})"


def _normal(name: str) -> str:
    return re.sub(r"[\s.-]+", "_", name.strip().lower())


def _closest(name: str) -> str | None:
    """The column a mistyped header cell may mean: the same once spaces, dots, hyphens and
    capitals are set aside, or a close spelling."""
    if _normal(name) in FLAT_FIELDS:
        return _normal(name)
    close = difflib.get_close_matches(_normal(name), list(FLAT_FIELDS), n=1, cutoff=0.75)
    return close[0] if close else None


def _meant(column: str, shown: list[str]) -> str | None:
    """The shown header cell that may be meant as `column`, if any."""
    return next((c for c in shown if _closest(c) == column), None)


def _with_hint(name: str) -> str:
    meant = _closest(name)
    return f"{name} (did you mean {meant}?)" if meant else name


def _looks_like_a_column(name: str) -> bool:
    """Whether a header cell looks like a column name (mistyped) rather than a patient's data."""
    return (bool(_COLUMN.fullmatch(name)) and "_" in name) or _closest(name) is not None


def _flat_fields(
    cls: type[Any] = Patient, path: tuple[str, ...] = ()
) -> dict[str, tuple[str, ...]]:
    """CSV column -> path in a patient file, e.g. "injury_site" -> ("injury", "site"): every
    field of the file but the lists of records (check-ins and reviews are YAML only)."""
    fields: dict[str, tuple[str, ...]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        inner = hints[f.name]
        if typing.get_origin(inner) in (types.UnionType, typing.Union):  # X | None
            inner = next(a for a in typing.get_args(inner) if a is not type(None))
        if dataclasses.is_dataclass(inner):
            fields |= _flat_fields(typing.cast(type[Any], inner), (*path, f.name))
        elif typing.get_origin(inner) is not tuple or not dataclasses.is_dataclass(
            typing.get_args(inner)[0]
        ):
            fields["_".join((*path, f.name))] = (*path, f.name)
    return fields


FLAT_FIELDS = _flat_fields()


def _required_fields(cls: type[Any] = Patient, path: tuple[str, ...] = ()) -> Iterator[str]:
    """The CSV columns a row cannot do without: the fields without a default whose tables
    are required too."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        if dataclasses.is_dataclass(hints[f.name]):
            yield from _required_fields(hints[f.name], (*path, f.name))
        else:
            yield "_".join((*path, f.name))


REQUIRED_COLUMNS = tuple(_required_fields())


def unflatten(row: Mapping[str, str | None]) -> dict[str, Any]:
    """A CSV row as the nested data of a patient file; empty cells are left out."""
    data: dict[str, Any] = {}
    for column, cell in row.items():
        if cell is None or not cell.strip():
            continue
        *parents, key = FLAT_FIELDS[column]
        target = data
        for parent in parents:
            target = target.setdefault(parent, {})
        target[key] = cell.strip()
    return data


def _validate(
    raw: Any,
    protocols: Mapping[str, Protocol],
    sites: Mapping[str, InjurySite],
    as_of: dt.date,
    *,
    from_csv: bool,
) -> tuple[Patient | None, list[Problem]]:
    if isinstance(raw, Problem):
        return None, [raw]
    catalogue = Catalogue(sites, protocols, as_of)
    try:
        patient = load(Patient, raw, text_values=from_csv, private=True, context=catalogue)
    except Invalid as invalid:
        return None, list(invalid.problems) + _beyond_the_catalogue(raw, catalogue, from_csv)
    return patient, protocol_problems(patient, catalogue)


def _beyond_the_catalogue(raw: Any, catalogue: Catalogue, from_csv: bool) -> list[Problem]:
    """When a file is well formed but names an unknown site or protocol, what the protocol's
    rules still find in it, so that every problem is reported in one run."""
    try:
        patient = load(Patient, raw, text_values=from_csv, private=True)
    except Invalid:
        return []
    return protocol_problems(patient, catalogue)


def _digest(raw: Any) -> str:
    data = json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def _located(problem: Problem, from_csv: bool) -> Problem:
    """Name a field as the file does: `injury.site` in YAML, `injury_site` in a CSV header."""
    if not from_csv:
        return problem
    return Problem(problem.where.replace(".", "_"), problem.message)
