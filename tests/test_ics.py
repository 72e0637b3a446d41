"""The plan's calendar file, read back with icalendar, and what a calendar holds after each
version is imported into it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import icalendar
import pytest

from generator import __version__
from generator.content.library import load_library
from generator.core.project import Project
from generator.outputs.calendar import CalendarState, calendar_file, issue, plan_events
from generator.outputs.plans import Draft, draft_plan
from generator.patients.model import CheckIn, Review
from generator.patients.readers import read_patients

from .conftest import REPO

AS_OF = dt.date(2026, 11, 23)
DOMAIN = "harbourside-physio.example"  # the host of the shipped site's base_url
PHONE = "+1 555 0100"


@pytest.fixture(scope="module")
def library():
    return load_library(Project.at(REPO))


@pytest.fixture(scope="module")
def drafts(library) -> list[Draft]:
    """Every example patient's plan (one is paused and plans nothing)."""
    records = read_patients(
        [REPO / "examples" / "patients"],
        protocols=library.protocols,
        sites=library.injury_sites,
        as_of=AS_OF,
    )
    return [draft_plan(record, library) for record in records]


def version(draft: Draft, library, previous: CalendarState | None = None):
    """The events, the state and the calendar file of `draft`, issued after `previous`."""
    site = library.injury_sites[draft.patient.injury.site]
    events = plan_events(draft.patient, draft.schedule, site, library.settings, draft.strings)
    floor = len(draft.patient.checkins) + len(draft.patient.reviews)
    state, changes = issue(events, previous or CalendarState(), floor)
    ics = calendar_file(draft.patient, events, state, library.settings, draft.strings)
    return events, state, changes, icalendar.Calendar.from_ical(ics)


def latest(draft: Draft) -> dt.date:
    patient = draft.patient
    dates = [patient.plan.start, patient.clearance.on, *(c.date for c in patient.checkins)]
    return max(dates + [r.on for r in patient.reviews])


def test_the_calendar_names_its_maker_and_the_clinic(drafts, library):
    *_, calendar = version(drafts[0], library)
    assert str(calendar["PRODID"]) == f"-//return2run//plan {__version__}//EN"
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Running plan (Harbourside Sports Physiotherapy)"


def test_each_slot_is_one_all_day_event_that_blocks_no_time(drafts, library):
    for draft in drafts:
        events, _, _, calendar = version(draft, library)
        vevents = calendar.walk("VEVENT")
        assert len(vevents) == len(draft.schedule.logged) + len(draft.schedule.planned) + (
            draft.schedule.status == "paused"
        )
        by_uid = {str(e["UID"]): e for e in vevents}
        for event in events:
            vevent = by_uid[f"{draft.patient.id}-{event.slot}@{DOMAIN}"]
            assert vevent.decoded("DTSTART") == event.date
            assert vevent["DTSTART"].params["VALUE"] == "DATE"
            assert vevent.decoded("DTEND") == event.date + dt.timedelta(days=1)
            assert str(vevent["TRANSP"]) == "TRANSPARENT"
            assert vevent.decoded("SEQUENCE") == len(draft.patient.checkins) + len(
                draft.patient.reviews
            )
            # never the clock: the day of the latest entry of the patient file
            stamp = vevent.decoded("DTSTAMP")
            assert stamp.utcoffset() == dt.timedelta(0)
            assert stamp.replace(tzinfo=None) == dt.datetime.combine(latest(draft), dt.time())


def test_sessions_say_what_to_do_and_remind_in_the_morning(drafts, library):
    sessions = 0
    for draft in drafts:
        _, _, _, calendar = version(draft, library)
        for vevent in calendar.walk("VEVENT"):
            if not str(vevent["SUMMARY"]).startswith("Run/walk, stage "):
                continue
            sessions += 1
            description = str(vevent["DESCRIPTION"]).split("\n\n")
            assert description[-3].startswith("Green: No pain at the injury site during the run")
            assert description[-2].startswith(f"Stop running and call the clinic on {PHONE} if")
            assert description[-1].startswith("This is education. It supports, but does not")
            [alarm] = vevent.walk("VALARM")
            assert str(alarm["DESCRIPTION"]) == str(vevent["SUMMARY"])
            assert alarm.decoded("TRIGGER") == dt.timedelta(hours=8)
    assert sessions


def test_red_flags_fit_the_site(drafts, library):
    by_id = {d.patient.id: d for d in drafts}
    foot = str(version(by_id["P1003"], library)[3].walk("VEVENT")[0]["DESCRIPTION"])
    hip = str(version(by_id["P1004"], library)[3].walk("VEVENT")[0]["DESCRIPTION"])
    assert "groin" not in foot and "or deep groin or front-of-hip pain." in hip


def test_reviews_say_what_to_book_and_have_no_reminder(drafts, library):
    reviews = 0
    for draft in drafts:
        for vevent in version(draft, library)[3].walk("VEVENT"):
            if str(vevent["SUMMARY"]).startswith("Clinic review before stage "):
                reviews += 1
                stage = str(vevent["SUMMARY"]).rsplit(" ", 1)[1]
                book = str(vevent["DESCRIPTION"]).split("\n\n")[1]
                assert book == (
                    f"Call the clinic on {PHONE} to book it. Do not start stage {stage} until "
                    "your clinician has signed you off."
                )
                assert list(vevent.walk("VALARM")) == []
    assert reviews


def test_the_same_plan_made_again_is_the_same_file(drafts, library):
    for draft in drafts:
        _, state, _, _ = version(draft, library)
        again = version(draft, library, state)
        assert again[1] == state and again[2] == []
        assert again[3].to_ical() == version(draft, library, state)[3].to_ical()


class PhoneCalendar:
    """A calendar that applies an imported file as RFC 5546 says: events are matched by UID,
    one with a lower SEQUENCE than the one held is ignored, and a cancelled one is removed."""

    def __init__(self) -> None:
        self.events: dict[str, icalendar.Event] = {}
        self.sequences: dict[str, int] = {}

    def load(self, calendar: icalendar.Calendar) -> None:
        for vevent in calendar.walk("VEVENT"):
            uid, sequence = str(vevent["UID"]), int(vevent.decoded("SEQUENCE"))
            if sequence < self.sequences.get(uid, -1):
                continue
            self.sequences[uid] = sequence
            if str(vevent.get("STATUS", "")).upper() == "CANCELLED":
                self.events.pop(uid, None)
            else:
                self.events[uid] = vevent

    def days(self) -> list[tuple[dt.date, str]]:
        return sorted((e.decoded("DTSTART"), str(e["SUMMARY"])) for e in self.events.values())


def test_a_calendar_that_imports_each_version_holds_only_the_current_plan(drafts, library):
    first = next(d for d in drafts if d.patient.id == "P1001")
    start = first.schedule.planned[0].date
    phone = PhoneCalendar()
    events, state, _, calendar = version(first, library)
    phone.load(calendar)
    assert phone.days() == sorted((e.date, e.summary) for e in events)

    def replanned(checkins, reviews=()):
        patient = dataclasses.replace(first.patient, checkins=checkins, reviews=reviews)
        schedule = draft_plan_for(patient)
        return dataclasses.replace(first, patient=patient, schedule=schedule)

    def draft_plan_for(patient):
        from generator.patients.schedule import make_schedule

        return make_schedule(patient, library.protocols["low-risk"])

    day = start
    green = [CheckIn(date=day, stage=1, pain_during=0, pain_next_morning=0)]
    amber = CheckIn(date=day + dt.timedelta(days=2), stage=1, pain_during=2, pain_next_morning=1)
    second = replanned((*green, amber))
    events, state, changes, calendar = version(second, library, state)
    phone.load(calendar)
    assert phone.days() == sorted((e.date, e.summary) for e in events)
    assert [e.summary for e in events if e.done] == [
        "4 × (run 30 sec, walk 4½ min) (Done: green)",
        "4 × (run 30 sec, walk 4½ min) (Done: amber)",
    ]
    assert changes and all(c.now is None or c.now > c.was for c in changes)

    red = CheckIn(date=day + dt.timedelta(days=7), stage=1, pain_during=5, pain_next_morning=4)
    third = replanned((*green, amber, red))
    events, state, changes, calendar = version(third, library, state)
    phone.load(calendar)
    ahead = [(d, s) for d, s in phone.days() if d > red.date]
    assert ahead == [(red.date + dt.timedelta(days=1), "Call the clinic before you run again")]
    assert all("(Done: " in s for d, s in phone.days() if d <= red.date)
    assert {c.now for c in changes} == {None}  # every session ahead was cancelled

    restart = Review(on=red.date + dt.timedelta(days=10), stage=1, by="Dr X")
    fourth = replanned((*green, amber, red), (restart,))
    events, state, changes, calendar = version(fourth, library, state)
    phone.load(calendar)
    assert phone.days() == sorted((e.date, e.summary) for e in events)
    assert "Call the clinic before you run again" not in dict(phone.days()).values()
