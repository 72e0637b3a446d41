"""Adding check-ins to a patient file in place: the clinician's comments, key order and layout
are kept (ruamel.yaml's round trip), and only the new check-ins are added.

The edit works on text and returns text: the caller reads the file through the one reader,
checks the result as a patient file, and writes it atomically.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

WIDE = 4096  # never fold a line the clinician wrote on one
_ITEM = re.compile(r"^(?P<indent> *)- ", re.MULTILINE)


class EditProblem(Exception):
    """The file cannot be edited safely; the message says why (never quoting it)."""


def add_checkins(text: str, checkins: Sequence[Mapping[str, Any]]) -> str:
    """`text` (a patient file) with `checkins` added to its `checkins` list, in date order.

    Each check-in is written on one line in flow style, like the examples of `r2r
    new-patient`; a note is always quoted, so that YAML never reads it as a number or a yes.
    """
    yaml = _round_trip(text)
    try:
        data = yaml.load(text)
    except YAMLError:
        raise EditProblem("is not valid YAML") from None
    if not isinstance(data, CommentedMap):
        raise EditProblem("must be a table of fields")
    logged = data.get("checkins")
    if logged is None or (isinstance(logged, CommentedSeq) and not logged):
        logged = CommentedSeq()  # `checkins: []` becomes a list with an item per line
        logged.fa.set_block_style()
        data["checkins"] = logged
    if not isinstance(logged, CommentedSeq):
        raise EditProblem("checkins: must be a list")
    for checkin in checkins:
        logged.insert(_position(logged, checkin["date"]), _flow(checkin))
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _round_trip(text: str) -> YAML:
    """A round-trip YAML that writes lists indented as this file does."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = WIDE
    match = _ITEM.search(text)
    offset = len(match.group("indent")) if match else 2
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _position(logged: CommentedSeq, day: dt.date) -> int:
    """Where a check-in of `day` goes: after every one logged on or before that day."""
    position = len(logged)
    while position > 0:
        previous = logged[position - 1]
        date = previous.get("date") if isinstance(previous, Mapping) else None
        if not isinstance(date, dt.date) or date <= day:
            break
        position -= 1
    return position


def _flow(checkin: Mapping[str, Any]) -> CommentedMap:
    entry = CommentedMap()
    for key, value in checkin.items():
        entry[key] = DoubleQuotedScalarString(value) if key == "note" else value
    entry.fa.set_flow_style()
    return entry
