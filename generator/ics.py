"""A patient's plan as a calendar file (`plan.ics`) that phone and desktop calendars import.

One all-day event per planned session, recovery day and clinic review, with a reminder in
the morning. Each event's UID is stable while the patient's history is unchanged, and the
SEQUENCE grows with the history, so that importing a re-issued plan moves events instead of
duplicating them. Nothing reads the clock: DTSTAMP is the day the plan is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import icalendar

from . import __version__
from .patients import Patient
from .schedule import Planned, Schedule
from .settings import Settings
from .wording import session_text

REMINDER = dt.timedelta(hours=8)  # 8 in the morning of an all-day event's day


def plan_calendar(patient: Patient, schedule: Schedule, settings: Settings,
                  strings: Mapping[str, Any]) -> bytes:
    """The calendar file of `schedule`, in the interface language of `strings`."""
    words = strings["calendar"]
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//return2run//plan {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", str(words["name"]).format(clinic=settings.clinic.name))
    stamp = dt.datetime.combine(schedule.as_of, dt.time(), tzinfo=dt.UTC)
    sequence = len(patient.checkins) + len(patient.reviews)
    domain = urlsplit(settings.site.base_url).hostname or "return2run.invalid"
    for item in schedule.planned:
        event = icalendar.Event()
        event.add("uid", f"{patient.id}-{schedule.protocol.name}-{item.key}@{domain}")
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("dtstart", item.date)
        event.add("dtend", item.date + dt.timedelta(days=1))
        event.add("summary", _title(item, strings))
        event.add("description", _description(item, settings, strings))
        event.add("transp", "TRANSPARENT")
        if item.kind == "session":
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", REMINDER)
            alarm.add("description", _title(item, strings))
            event.add_component(alarm)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _title(item: Planned, strings: Mapping[str, Any]) -> str:
    words = strings["calendar"]
    if item.kind == "review":
        return str(words["review"]).format(stage=item.stage.number)
    if item.kind == "recovery":
        return str(words["recovery"])
    session = session_text(item.stage, strings["protocol"])
    return str(words["session"]).format(stage=item.stage.number, session=session)


def _description(item: Planned, settings: Settings, strings: Mapping[str, Any]) -> str:
    words = strings["calendar"]
    lines = []
    if item.kind == "review":
        lines.append(item.stage.gate)
        lines.append(str(words["book"]).format(phone=settings.clinic.phone))
    elif item.kind == "session":
        if item.stage.surface:
            lines.append(f"{strings['protocol']['where']}: {item.stage.surface}")
        if item.stage.note:
            lines.append(item.stage.note)
        lines.append(str(words["guidance"]))
    lines.append(str(words["red_flags"]).format(phone=settings.clinic.phone))
    lines.append(str(strings["notice"]["full"]))
    return "\n\n".join(line for line in lines if line)
