"""Reading a filled plan form back: the symptom log of `plan.pdf`, as a phone app or a scanner
left it.

A plan's PDF names its patient, its version and the stage of each log row in its information
(`r2rpatient`, `r2rversion`, `r2rsessions`: see `templates/pdf/plan.html`), and has one row of
fields per planned session, `log.YYYY-MM-DD.pain_during` ... `log.YYYY-MM-DD.note`. Reading
it gives the raw text of every row; `checkin_import` judges the values.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from generator.core.errors import Problem
from generator.core.files import Unreadable, read_bytes

MAX_FORM_BYTES = 50_000_000
TEXT_FIELDS = ("pain_during", "pain_evening", "pain_next_morning", "note")
BOXES = ("soreness", "red_flag")
UNTICKED = {"", "/Off", "Off"}


class NotAPlan(Exception):
    """The file cannot be read as one of our filled plans; `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass(frozen=True)
class Row:
    """One log row as filled in: the text of its boxes and which check boxes are ticked."""

    date: dt.date
    stage: int  # the stage the plan had for that session
    text: dict[str, str]  # by field: pain_during, pain_evening, pain_next_morning, note
    ticked: frozenset[str]  # soreness, red_flag

    @property
    def filled(self) -> bool:
        """Whether anything is written or ticked on the row."""
        return bool(self.ticked) or any(value.strip() for value in self.text.values())


@dataclass(frozen=True)
class PlanForm:
    """A filled plan: whose, which version, and its rows in date order."""

    patient_id: str
    version: str
    rows: tuple[Row, ...]


def read_plan_form(path: Path) -> PlanForm:
    """The rows of the filled plan at `path` (read through the one file reader).

    Raises `NotAPlan` for a file that is not a PDF, or not a plan that return2run made."""
    try:
        data = read_bytes(
            path, folder=path.parent.resolve(), limit=MAX_FORM_BYTES, label="its folder"
        )
    except Unreadable as unreadable:
        raise NotAPlan(unreadable.problem) from None
    try:
        reader = PdfReader(io.BytesIO(data))
        info: Mapping[str, Any] = reader.metadata or {}
        fields: Mapping[str, Any] = reader.get_fields() or {}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        raise NotAPlan(Problem("", "cannot be read as a PDF")) from None
    patient_id, version = _text(info.get("/r2rpatient")), _text(info.get("/r2rversion"))
    sessions = _sessions(_text(info.get("/r2rsessions")))
    if not patient_id or not version or sessions is None:
        raise NotAPlan(
            Problem("", "is not a plan made by r2r plans (it names no patient or plan version)")
        )
    values = {name: field.get("/V") for name, field in fields.items()}
    rows = tuple(_row(day, stage, values) for day, stage in sessions)
    return PlanForm(patient_id, version, rows)


def _sessions(listing: str) -> list[tuple[dt.date, int]] | None:
    """The log rows a plan lists, `2026-12-01:2 2026-12-03:2`; None if it is not such a list."""
    sessions = []
    try:
        for item in listing.split():
            day, stage = item.split(":")
            sessions.append((dt.date.fromisoformat(day), int(stage)))
    except ValueError:
        return None
    return sessions


def _row(day: dt.date, stage: int, values: Mapping[str, Any]) -> Row:
    key = f"log.{day.isoformat()}."
    text = {name: _text(values.get(key + name)) for name in TEXT_FIELDS}
    ticked = frozenset(box for box in BOXES if _text(values.get(key + box)) not in UNTICKED)
    return Row(day, stage, text, ticked)


def _text(value: Any) -> str:
    """A field's value as text: pypdf gives strings, names (`/on`) or nothing."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)
