"""A patient's plan as a calendar file (`plan.ics`) that phone and desktop calendars import.

One all-day event per planned session, recovery day and clinic review, with a reminder in
the morning of a session. Each event's UID is stable while the patient's history is
unchanged, and the SEQUENCE grows with the history, so that importing a re-issued plan moves
events instead of duplicating them. Nothing reads the clock: DTSTAMP is the day the plan is
made, so the same plan on the same day is the same file, byte for byte.

The icalendar library writes the file (escaping, folding, value types); each kind of event
is built by a function of its own from what all events of a plan share (`Issue`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from icalendar import Alarm, Calendar, Event

from generator import __version__
from generator.content.settings import Settings
from generator.content.strings import CalendarText, Strings
from generator.patients.model import Patient
from generator.patients.schedule import Kind, Planned, Schedule
from generator.render.wording import session_text

REMINDER = dt.timedelta(hours=8)  # 8 in the morning of an all-day event's day
ONE_DAY = dt.timedelta(days=1)
NO_DOMAIN = "return2run.invalid"  # for UIDs when the site has no host name


@dataclass(frozen=True)
class Issue:
    """What every event of one calendar shares: whose plan, which version, and the wording."""

    uid_stem: str  # "<patient id>-<protocol name>"
    domain: str
    stamp: dt.datetime  # the day the plan is made, at midnight UTC
    sequence: int  # grows with the patient's history (check-ins and reviews)
    phone: str
    strings: Strings

    @classmethod
    def of(
        cls, patient: Patient, schedule: Schedule, settings: Settings, strings: Strings
    ) -> Issue:
        """The shared part of `schedule`'s events."""
        return cls(
            uid_stem=f"{patient.id}-{schedule.protocol.name}",
            domain=urlsplit(settings.site.base_url).hostname or NO_DOMAIN,
            stamp=dt.datetime.combine(schedule.as_of, dt.time(), tzinfo=dt.UTC),
            sequence=len(patient.checkins) + len(patient.reviews),
            phone=settings.clinic.phone,
            strings=strings,
        )

    @property
    def words(self) -> CalendarText:
        """The calendar's interface text."""
        return self.strings.calendar

    def uid(self, item: Planned) -> str:
        """The UID of `item`'s event: the same for its slot while the history is unchanged."""
        return f"{self.uid_stem}-{item.key}@{self.domain}"

    def description(self, *lines: str) -> str:
        """An event's description: `lines`, then what to do on a red flag, then the notice."""
        red_flags = self.words.red_flags.format(phone=self.phone)
        return "\n\n".join(line for line in (*lines, red_flags, self.strings.notice.full) if line)


def plan_calendar(
    patient: Patient, schedule: Schedule, settings: Settings, strings: Strings
) -> bytes:
    """The calendar file of `schedule`, in the interface language of `strings`."""
    issue = Issue.of(patient, schedule, settings, strings)
    calendar = Calendar()
    calendar.add("prodid", f"-//return2run//plan {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", issue.words.name.format(clinic=settings.clinic.name))
    calendar.subcomponents = [EVENTS[item.kind](item, issue) for item in schedule.planned]
    return bytes(calendar.to_ical())


def session_event(item: Planned, issue: Issue) -> Event:
    """A run/walk session, with a reminder in the morning."""
    where = f"{issue.strings.protocol.where}: {item.stage.surface}" if item.stage.surface else ""
    title = issue.words.session.format(
        stage=item.stage.number, session=session_text(item.stage, issue.strings.protocol)
    )
    event = all_day_event(
        item, issue, title, issue.description(where, item.stage.note, issue.words.guidance)
    )
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", REMINDER)
    event.add_component(alarm)
    return event


def recovery_event(item: Planned, issue: Issue) -> Event:
    """A recovery day: no running or walking."""
    return all_day_event(item, issue, issue.words.recovery, issue.description())


def review_event(item: Planned, issue: Issue) -> Event:
    """The clinic review that must pass before the stage of `item` starts."""
    book = issue.words.book.format(phone=issue.phone)
    title = issue.words.review.format(stage=item.stage.number)
    return all_day_event(item, issue, title, issue.description(item.stage.gate, book))


def all_day_event(item: Planned, issue: Issue, summary: str, description: str) -> Event:
    """The event of `item`'s day, shown as free time (it blocks nothing in the calendar)."""
    # add() rather than Event.new(), which also sets some twenty absent properties: measured,
    # 8% of a calendar's time.
    event = Event()
    event.add("summary", summary)
    event.add("dtstart", item.date)
    event.add("dtend", item.date + ONE_DAY)
    event.add("dtstamp", issue.stamp)
    event.add("uid", issue.uid(item))
    event.add("sequence", issue.sequence)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


EVENTS: dict[Kind, Callable[[Planned, Issue], Event]] = {
    "session": session_event,
    "recovery": recovery_event,
    "review": review_event,
}
