"""The plan's calendar file, read back with icalendar: one all-day event per planned day."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from generator import __version__
from generator.content.library import load_library
from generator.core.project import Project
from generator.outputs.calendar import plan_calendar
from generator.outputs.plans import Draft, draft_plan
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
    """Every example patient's plan as of AS_OF (one is paused and plans nothing)."""
    records = read_patients(
        [REPO / "examples" / "patients"],
        protocols=library.protocols,
        sites=library.injury_sites,
        as_of=AS_OF,
    )
    return [draft_plan(record, library, AS_OF) for record in records]


@pytest.fixture(scope="module")
def calendars(drafts, library) -> list[tuple[Draft, icalendar.Calendar]]:
    """Each plan with its calendar file, read back."""
    return [
        (
            d,
            icalendar.Calendar.from_ical(
                plan_calendar(d.patient, d.schedule, library.settings, d.strings)
            ),
        )
        for d in drafts
    ]


def days(calendars, kind: str | None = None):
    """(event, planned day) pairs of every calendar, of one kind or all."""
    return [
        (event, item)
        for draft, calendar in calendars
        for event, item in zip(calendar.walk("VEVENT"), draft.schedule.planned, strict=True)
        if kind in (None, item.kind)
    ]


def test_the_calendar_names_its_maker_and_the_clinic(calendars):
    _, calendar = calendars[0]
    assert str(calendar["PRODID"]) == f"-//return2run//plan {__version__}//EN"
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Running plan (Harbourside Sports Physiotherapy)"


def test_each_planned_day_is_one_all_day_event_that_blocks_no_time(calendars):
    for draft, calendar in calendars:
        assert len(calendar.walk("VEVENT")) == len(draft.schedule.planned)
    assert days(calendars)
    for event, item in days(calendars):
        assert event.decoded("DTSTART") == item.date
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert event.decoded("DTEND") == item.date + dt.timedelta(days=1)
        assert str(event["TRANSP"]) == "TRANSPARENT"


def test_uids_name_the_slot_and_sequence_and_stamp_the_version(calendars):
    for draft, calendar in calendars:
        patient, schedule = draft.patient, draft.schedule
        for event, item in zip(calendar.walk("VEVENT"), schedule.planned, strict=True):
            assert str(event["UID"]) == f"{patient.id}-{schedule.protocol.name}-{item.key}@{DOMAIN}"
            assert event.decoded("SEQUENCE") == len(patient.checkins) + len(patient.reviews)
            # the day the plan is made, never the clock
            assert event.decoded("DTSTAMP") == dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def test_sessions_say_what_to_do_and_remind_in_the_morning(calendars):
    assert days(calendars, "session")
    for event, item in days(calendars, "session"):
        summary = str(event["SUMMARY"])
        assert summary.startswith(f"Run/walk, stage {item.stage.number}: ")
        description = str(event["DESCRIPTION"]).split("\n\n")
        if item.stage.surface:
            assert description[0] == f"Where: {item.stage.surface}"
        assert description[-3].startswith("Green: no pain at the injury site during the session")
        assert description[-2].startswith(f"Stop running and call the clinic on {PHONE} if")
        assert description[-1].startswith("This is education. It supports, but does not replace")
        [alarm] = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY" and str(alarm["DESCRIPTION"]) == summary
        assert alarm.decoded("TRIGGER") == dt.timedelta(hours=8)


def test_reviews_and_recovery_days_say_so_and_have_no_reminder(calendars):
    assert days(calendars, "review") and days(calendars, "recovery")
    for event, item in days(calendars, "review"):
        assert str(event["SUMMARY"]) == f"Clinic review before stage {item.stage.number}"
        assert str(event["DESCRIPTION"]).split("\n\n")[:2] == [
            item.stage.gate,
            f"Call the clinic on {PHONE} to book it. Do not start this stage until the clinic "
            "signs you off.",
        ]
        assert list(event.walk("VALARM")) == []
    for event, _ in days(calendars, "recovery"):
        assert str(event["SUMMARY"]) == "Recovery day: no running or walking session"
        # what to do on a red flag, then the notice
        assert len(str(event["DESCRIPTION"]).split("\n\n")) == 2
        assert list(event.walk("VALARM")) == []


def test_the_same_plan_made_again_is_the_same_file(drafts, library):
    for draft in drafts:
        args = (draft.patient, draft.schedule, library.settings, draft.strings)
        assert plan_calendar(*args) == plan_calendar(*args)
