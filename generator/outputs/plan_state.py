"""What a patient's plan folder keeps of the version it holds: `plans/<id>/version.json`.

A plan's *version* is what the patient sees, whatever day it is printed: its text without the
"made on" stamp and without marking which past sessions are not logged yet, and its calendar
events. The email ledger keys on it (the same file on another day sends nothing), and the next
version's calendar moves or cancels what this one issued. The file holds ids, dates, stage
texts and hashes, never a name or a note; it is private, like the rest of the folder.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from generator.core.files import Unreadable, read_bytes
from generator.outputs.calendar import CalendarState, Change

STATE_FILE = "version.json"
MAX_STATE_BYTES = 10_000_000
_FORMAT = 1


@dataclass(frozen=True)
class PlanState:
    """A plan's version, what made it, and what its calendar has issued."""

    inputs: str  # a fingerprint of everything the plan is made from, but the plan date
    version: str  # the plan's identity: what the patient sees
    calendar: CalendarState = field(default_factory=CalendarState)
    changes: tuple[Change, ...] = ()  # what moved or was cancelled since the version before

    def to_bytes(self) -> bytes:
        """The state as the plan folder keeps it (JSON, stable key order)."""
        data = {
            "format": _FORMAT,
            "inputs": self.inputs,
            "version": self.version,
            "calendar": self.calendar.to_json(),
            "changes": [
                {
                    "summary": c.summary,
                    "was": c.was.isoformat(),
                    "now": c.now.isoformat() if c.now else None,
                }
                for c in self.changes
            ],
        }
        return json.dumps(data, sort_keys=True, indent=0).encode()


def read_state(path: Path) -> PlanState | None:
    """The state kept at `path`, or None when there is none (or it cannot be read: the next
    version is then issued as a first one)."""
    try:
        data = json.loads(read_bytes(path, folder=path.parent, limit=MAX_STATE_BYTES))
        if data.get("format") != _FORMAT:
            return None
        changes = tuple(
            Change(
                str(c["summary"]),
                dt.date.fromisoformat(c["was"]),
                dt.date.fromisoformat(c["now"]) if c["now"] else None,
            )
            for c in data["changes"]
        )
        calendar = CalendarState.from_json(data["calendar"])
        return PlanState(str(data["inputs"]), str(data["version"]), calendar, changes)
    except (Unreadable, ValueError, KeyError, TypeError, AttributeError):
        return None
