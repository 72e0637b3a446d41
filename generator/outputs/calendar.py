"""A patient's plan as a calendar file (`plan.ics`) that phone and desktop calendars import.

One all-day event per session slot (a session done shows as done, on the day it was done), per
planned recovery day and per clinic review; a paused plan holds one "call the clinic" event
instead of its sessions. Each slot keeps one UID across re-plans ("session-7" is the seventh
session of the program, whatever its stage and date), and a new version carries every event
any earlier version issued: moved or updated with a higher SEQUENCE, or cancelled
(STATUS:CANCELLED), so that importing it into a calendar that holds an earlier one leaves no
stale reminder in the calendars that apply UIDs on import. What each event was last issued
as is kept in the plan's private folder (`CalendarState`).

Nothing reads the clock: DTSTAMP is the day of the latest entry in the patient file, and the
same file gives the same calendar, byte for byte. The icalendar library writes the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from icalendar import Alarm, Calendar, Event

from generator import __version__
from generator.content.injury_sites import InjurySite
from generator.content.settings import Settings
from generator.content.strings import Strings
from generator.patients.model import Patient
from generator.patients.schedule import Logged, Planned, Schedule
from generator.render.environment import format_date, or_list
from generator.render.wording import red_flag_signs, session_text

REMINDER = dt.timedelta(hours=8)  # 8 in the morning of an all-day event's day
ONE_DAY = dt.timedelta(days=1)
NO_DOMAIN = "return2run.invalid"  # for UIDs when the site has no host name
CALL_SLOT = "call-the-clinic"


@dataclass(frozen=True)
class PlanEvent:
    """What one event of a plan's current version says."""

    slot: str
    date: dt.date
    summary: str
    description: str
    reminder: bool = False
    done: bool = False  # a session already logged

    @property
    def digest(self) -> str:
        """A hash of what the patient sees of it: a change means a new SEQUENCE."""
        seen = f"{self.date}\0{self.summary}\0{self.description}\0{self.reminder}"
        return hashlib.sha256(seen.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Issued:
    """An event as it was last issued: what a patient's calendar may hold of it."""

    date: dt.date
    summary: str
    sequence: int
    digest: str
    cancelled: bool = False
    done: bool = False


@dataclass(frozen=True)
class Change:
    """A session a new version moved or cancelled (done sessions are not changes)."""

    summary: str
    was: dt.date
    now: dt.date | None  # None: cancelled


@dataclass(frozen=True)
class CalendarState:
    """Every event a plan's versions have issued, by slot, as last issued."""

    events: Mapping[str, Issued] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the plan's state file."""
        return {
            slot: asdict(issued) | {"date": issued.date.isoformat()}
            for slot, issued in self.events.items()
        }

    @classmethod
    def from_json(cls, data: object) -> CalendarState:
        """Read back `to_json`; anything unreadable is an empty state (a first version)."""
        if not isinstance(data, dict):
            return cls()
        try:
            events = {
                str(slot): Issued(**(entry | {"date": dt.date.fromisoformat(entry["date"])}))
                for slot, entry in data.items()
            }
        except (TypeError, ValueError, KeyError):
            return cls()
        return cls(events)


def plan_events(
    patient: Patient,
    schedule: Schedule,
    site: InjurySite,
    settings: Settings,
    strings: Strings,
) -> list[PlanEvent]:
    """The events of the plan's current version, in the order of their days."""
    words = _Words(strings, settings, schedule, site)
    events = [_done_event(index, log, words) for index, log in enumerate(schedule.logged, 1)]
    events += [_planned_event(item, words) for item in schedule.planned]
    if schedule.paused_on is not None:
        events.append(_call_event(schedule.paused_on, words))
    return sorted(events, key=lambda event: event.date)


def issue(
    events: Iterable[PlanEvent], previous: CalendarState, floor: int
) -> tuple[CalendarState, list[Change]]:
    """The state after issuing `events`, and what changed for the patient since `previous`.

    An event that is new or changed gets a SEQUENCE above its last one (and at least `floor`,
    which grows with the patient file, so that a lost state never issues a lower one); an
    event of an earlier version that the new one lacks is cancelled, once.
    """
    now = {event.slot: event for event in events}
    issued: dict[str, Issued] = {}
    changes: list[Change] = []
    for slot, event in now.items():
        issued[slot], change = _reissued(event, previous.events.get(slot), floor)
        changes += [change] if change else []
    for slot, before in previous.events.items():
        if slot not in now:
            issued[slot] = before if before.cancelled else _cancel(before, floor)
            if not (before.cancelled or before.done):
                changes.append(Change(before.summary, before.date, None))
    return CalendarState(dict(sorted(issued.items()))), sorted(changes, key=lambda c: c.was)


def _reissued(event: PlanEvent, before: Issued | None, floor: int) -> tuple[Issued, Change | None]:
    """How `event` is issued now, given how its slot was issued before (if it was)."""
    if before is None:
        return Issued(event.date, event.summary, floor, event.digest, done=event.done), None
    if not before.cancelled and before.digest == event.digest:
        return before, None
    sequence = max(floor, before.sequence + 1)
    now = Issued(event.date, event.summary, sequence, event.digest, done=event.done)
    planned_both = not (before.cancelled or before.done or event.done)
    moved = planned_both and before.date != event.date
    return now, Change(before.summary, before.date, event.date) if moved else None


def _cancel(before: Issued, floor: int) -> Issued:
    return replace(before, sequence=max(floor, before.sequence + 1), cancelled=True)


def calendar_file(
    patient: Patient,
    events: Iterable[PlanEvent],
    state: CalendarState,
    settings: Settings,
    strings: Strings,
) -> bytes:
    """The `plan.ics` of a version: its events, then the cancelled ones, as `state` issued them."""
    domain = urlsplit(settings.site.base_url).hostname or NO_DOMAIN
    stamp = dt.datetime.combine(_latest_entry(patient), dt.time(), tzinfo=dt.UTC)
    calendar = Calendar()
    calendar.add("prodid", f"-//return2run//plan {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", strings.calendar.name.format(clinic=settings.clinic.name))
    current = {event.slot: event for event in events}
    for slot, issued in state.events.items():
        uid = f"{patient.id}-{slot}@{domain}"
        if slot in current:
            calendar.add_component(_vevent(current[slot], issued, uid, stamp))
        elif issued.cancelled:
            calendar.add_component(_cancelled(issued, uid, stamp))
    return bytes(calendar.to_ical())


class _Words:
    """The interface text every event of one plan uses, filled in once."""

    def __init__(self, strings: Strings, settings: Settings, schedule: Schedule, site: InjurySite):
        self.strings = strings
        self.phone = settings.clinic.phone
        self.clinic = settings.clinic.name
        self.amber_up_to = schedule.protocol.rules.traffic_light.amber_pain_up_to
        signs = or_list(red_flag_signs(site, strings.plan), strings)
        self.red_flags = strings.calendar.red_flags.format(phone=self.phone, signs=signs)

    def description(self, *lines: str) -> str:
        """`lines`, then what to do on a red flag, then the notice."""
        tail = (self.red_flags, self.strings.notice.full)
        return "\n\n".join(line for line in (*lines, *tail) if line)

    def lights(self) -> str:
        """The green and amber lights in one paragraph, as the plan words them."""
        plan = self.strings.plan
        green, amber = plan.traffic.green, plan.traffic.amber
        return (
            f"{plan.lights.green.capitalize()}: {green.notice} "
            f"{plan.lights.amber.capitalize()}: {amber.notice.format(n=self.amber_up_to)} "
            f"{amber.do}"
        )


def _planned_event(item: Planned, words: _Words) -> PlanEvent:
    calendar, protocol = words.strings.calendar, words.strings.protocol
    stage = item.stage
    if item.kind == "review":
        book = calendar.book.format(phone=words.phone, stage=stage.number)
        summary = calendar.review.format(stage=stage.number)
        return PlanEvent(item.slot, item.date, summary, words.description(stage.gate, book))
    if item.kind == "recovery":
        return PlanEvent(item.slot, item.date, calendar.recovery, words.description())
    summary = calendar.session.format(stage=stage.number, session=session_text(stage, protocol))
    where = f"{protocol.where}: {stage.surface}" if stage.surface else ""
    description = words.description(where, stage.note, words.lights())
    return PlanEvent(item.slot, item.date, summary, description, reminder=True)


def _done_event(index: int, log: Logged, words: _Words) -> PlanEvent:
    plan = words.strings.plan
    done = plan.logged.format(light=plan.lights[log.light])
    summary = f"{session_text(log.stage, words.strings.protocol)} ({done})"
    return PlanEvent(f"session-{index}", log.date, summary, words.description(), done=True)


def _call_event(paused_on: dt.date, words: _Words) -> PlanEvent:
    calendar = words.strings.calendar
    day = format_date(paused_on, words.strings)
    text = calendar.call.format(date=day, clinic=words.clinic, phone=words.phone)
    return PlanEvent(
        CALL_SLOT, paused_on + ONE_DAY, calendar.call_title, words.description(text), True
    )


def _vevent(event: PlanEvent, issued: Issued, uid: str, stamp: dt.datetime) -> Event:
    vevent = _all_day(uid, event.date, event.summary, issued.sequence, stamp)
    vevent.add("description", event.description)
    if event.reminder:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        alarm.add("trigger", REMINDER)
        vevent.add_component(alarm)
    return vevent


def _cancelled(issued: Issued, uid: str, stamp: dt.datetime) -> Event:
    vevent = _all_day(uid, issued.date, issued.summary, issued.sequence, stamp)
    vevent.add("status", "CANCELLED")
    return vevent


def _all_day(uid: str, day: dt.date, summary: str, sequence: int, stamp: dt.datetime) -> Event:
    """An all-day event, shown as free time (it blocks nothing in the calendar)."""
    vevent = Event()
    vevent.add("summary", summary)
    vevent.add("dtstart", day)
    vevent.add("dtend", day + ONE_DAY)
    vevent.add("dtstamp", stamp)
    vevent.add("uid", uid)
    vevent.add("sequence", sequence)
    vevent.add("transp", "TRANSPARENT")
    return vevent


def _latest_entry(patient: Patient) -> dt.date:
    """The day of the latest dated entry of the patient file."""
    dates = [patient.plan.start, patient.clearance.on]
    dates += [checkin.date for checkin in patient.checkins]
    dates += [review.on for review in patient.reviews]
    return max(dates)
