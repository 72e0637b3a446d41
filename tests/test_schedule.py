"""The schedule: every rule on worked examples, and its invariants on generated inputs."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.content.protocols import load_protocols
from generator.patients.model import (
    WEEKDAYS,
    CheckIn,
    Clearance,
    Injury,
    Patient,
    PlanOptions,
    Review,
)
from generator.patients.schedule import ScheduleProblem, light_of, make_schedule

from .conftest import REPO

PROTOCOLS = load_protocols(REPO / "content" / "protocols")
LOW, HIGH, DAILY = PROTOCOLS["low-risk"], PROTOCOLS["high-risk"], PROTOCOLS["day-by-day"]
MONDAY = dt.date(2026, 11, 23)


def day(offset: int) -> dt.date:
    return MONDAY + dt.timedelta(days=offset)


def patient(
    *, start: dt.date = MONDAY, run_days=("mon", "wed", "fri"), checkins=(), reviews=()
) -> Patient:
    return Patient(
        id="P1",
        name="Test Patient",
        injury=Injury(site="fibula"),
        clearance=Clearance(by="Dr X", on=start),
        checkins=tuple(checkins),
        plan=PlanOptions(start=start, run_days=tuple(run_days)),
        reviews=tuple(reviews),
    )


def green(offset: int, stage: int) -> CheckIn:
    return CheckIn(date=day(offset), stage=stage, pain_during=0, pain_next_morning=0)


def test_a_fresh_plan_runs_every_stage_its_sessions_on_the_run_days():
    schedule = make_schedule(patient(), LOW, MONDAY)
    assert schedule.status == "active" and schedule.stage == 1
    dates = [item.date for item in schedule.planned]
    assert dates[:6] == [day(0), day(2), day(4), day(7), day(9), day(11)]
    assert all(d.weekday() in (0, 2, 4) for d in dates)
    stages = [item.stage.number for item in schedule.planned]
    assert stages == [n for n in range(1, 13) for _ in range(2)]
    assert schedule.end == day(7 * 7 + 4)


def test_the_plan_starts_on_the_first_run_day_on_or_after_the_start_and_the_plan_date():
    assert make_schedule(patient(start=day(1)), LOW, MONDAY).planned[0].date == day(2)
    assert make_schedule(patient(), LOW, day(3)).planned[0].date == day(4)
    assert make_schedule(patient(start=day(7)), LOW, MONDAY).planned[0].date == day(7)


def test_gates_become_clinic_review_steps_and_stage_1_is_covered_by_the_clearance():
    schedule = make_schedule(patient(), HIGH, MONDAY)
    reviews = [(item.stage.number, item.date) for item in schedule.planned if item.kind == "review"]
    assert [number for number, _ in reviews] == [6, 10]
    after = schedule.planned[[p.kind for p in schedule.planned].index("review") + 1]
    assert after.stage.number == 6 and after.date > reviews[0][1]
    assert [s.stage.number for s in schedule.sessions].count(1) == 3


def test_a_recorded_review_replaces_the_planned_one():
    reviews = [Review(on=day(-1), stage=6, by="Dr X")]
    schedule = make_schedule(patient(start=day(-30), reviews=reviews), HIGH, MONDAY)
    assert schedule.stage == 6
    assert [item.stage.number for item in schedule.planned if item.kind == "review"] == [10]


def test_green_sessions_count_toward_the_stage_then_move_up():
    schedule = make_schedule(patient(checkins=[green(0, 1), green(2, 1)]), LOW, day(2))
    assert [log.light for log in schedule.logged] == ["green", "green"]
    assert schedule.stage == 2
    assert schedule.planned[0].date == day(4) and schedule.planned[0].stage.number == 2


def test_amber_steps_back_one_stage_after_two_rest_days():
    checkins = [
        green(0, 1),
        green(2, 1),
        green(4, 2),
        CheckIn(date=day(7), stage=2, pain_during=2, pain_next_morning=0),
    ]
    schedule = make_schedule(patient(checkins=checkins), LOW, day(7))
    assert schedule.logged[-1].light == "amber"
    assert [(n.kind, n.stage) for n in schedule.notices] == [("amber", 1)]
    assert schedule.stage == 1
    assert schedule.planned[0].date == day(11)  # rest on day 8 and 9, wed 9 skipped
    assert schedule.planned[0].stage.number == 1


def test_amber_at_stage_1_repeats_stage_1():
    checkins = [CheckIn(date=day(0), stage=1, pain_during=0, pain_next_morning=2)]
    assert make_schedule(patient(checkins=checkins), LOW, day(0)).stage == 1


@pytest.mark.parametrize(
    "checkin",
    [
        CheckIn(date=day(2), stage=2, pain_during=4, pain_next_morning=0),
        CheckIn(date=day(2), stage=2, pain_during=0, pain_next_morning=5),
        CheckIn(
            date=day(2), stage=2, pain_during=0, pain_next_morning=0, red_flags=("night_pain",)
        ),
        CheckIn(
            date=day(2), stage=2, pain_during=1, pain_next_morning=0, red_flags=("groin_pain",)
        ),
    ],
)
def test_red_pauses_the_plan(checkin):
    schedule = make_schedule(patient(checkins=[green(0, 1), checkin]), LOW, day(5))
    assert schedule.status == "paused" and schedule.planned == ()
    assert schedule.notices[-1].kind == "red"


def test_a_clinic_review_restarts_a_paused_plan_and_sessions_before_it_are_refused():
    red = CheckIn(date=day(2), stage=2, pain_during=5, pain_next_morning=3)
    restart = Review(on=day(14), stage=1, by="Dr X")
    schedule = make_schedule(patient(checkins=[green(0, 2), red], reviews=[restart]), LOW, day(14))
    assert schedule.status == "active" and schedule.stage == 1
    assert schedule.planned[0].date == day(14)
    with pytest.raises(ScheduleProblem) as caught:
        make_schedule(patient(checkins=[green(0, 2), red, green(4, 2)]), LOW, day(5))
    assert str(caught.value) == (
        "checkins[3]: is after a red day, but no clinic review (reviews) has restarted the plan"
    )


def test_missed_time_drops_one_stage_for_every_five_days_missed():
    checkins = [
        green(0, 1),
        green(2, 1),
        green(4, 2),
        green(7, 2),
        green(9, 3),
        green(11, 3),
        green(14, 4),
    ]
    schedule = make_schedule(patient(checkins=checkins), LOW, day(30))
    [notice] = schedule.notices
    assert (notice.kind, notice.days) == ("missed", 15) and notice.date == day(30)
    assert schedule.stage == 4 - 15 // 5 == 1
    assert make_schedule(patient(checkins=checkins), LOW, day(21)).notices == ()  # 6 days missed
    just_over = make_schedule(patient(checkins=checkins), LOW, day(22))  # next run day 23: 8 missed
    assert [(n.days, n.stage) for n in just_over.notices] == [(8, 3)]


def test_the_program_can_be_completed():
    sessions = [green(2 * i, n) for i, n in enumerate(n for n in range(1, 13) for _ in range(2))]
    schedule = make_schedule(patient(checkins=sessions), LOW, day(60))
    assert schedule.status == "complete" and schedule.planned == ()


def test_the_day_by_day_progression_runs_on_consecutive_days_with_recovery_days():
    schedule = make_schedule(patient(run_days=WEEKDAYS), DAILY, MONDAY)
    assert [item.date for item in schedule.planned] == [day(i) for i in range(21)]
    assert [item.kind for item in schedule.planned].count("recovery") == 4


def test_the_traffic_light():
    rules = LOW.rules.traffic_light
    read = [
        light_of(
            CheckIn(date=MONDAY, stage=1, pain_during=d, pain_next_morning=m, red_flags=flags),
            rules,
        )
        for d, m, flags in [(0, 0, ()), (3, 0, ()), (0, 1, ()), (4, 0, ()), (0, 0, ("limp",))]
    ]
    assert read == ["green", "amber", "amber", "red", "red"]


# --- invariants, on generated inputs -------------------------------------------------------


def run_day_sets(rest: int):
    """Weekday sets that leave at least `rest` days between runs, week after week."""
    valid = []
    for size in range(1, 8):
        for days in itertools.combinations(range(7), size):
            gaps = [(b - a) % 7 or 7 for a, b in zip(days, days[1:] + days[:1], strict=True)]
            if size == 1 or min(gaps) > rest:
                valid.append(tuple(WEEKDAYS[d] for d in days))
    return st.sampled_from(valid)


@st.composite
def histories(draw, protocol, run_days, start):
    """A plausible log: sessions on run days, at the stage the plan says, with random lights."""
    checkins, current_day, stage, done = [], start, 1, 0
    for _ in range(draw(st.integers(0, 12))):
        current_day += dt.timedelta(
            days=draw(st.integers(protocol.rules.rest_days_between_runs + 1, 12))
        )
        while WEEKDAYS[current_day.weekday()] not in run_days:
            current_day += dt.timedelta(days=1)
        pain = draw(st.sampled_from([0, 0, 0, 0, 1, 2]))
        checkins.append(
            CheckIn(date=current_day, stage=stage, pain_during=pain, pain_next_morning=0)
        )
        if pain:
            stage, done = max(1, stage - 1), 0
        else:
            done += 1
            if done >= protocol.stages[stage - 1].sessions:
                stage, done = min(stage + 1, len(protocol.stages)), 0
    return checkins


@st.composite
def plans(draw):
    protocol = draw(st.sampled_from([LOW, HIGH]))
    run_days = draw(run_day_sets(protocol.rules.rest_days_between_runs))
    start = MONDAY + dt.timedelta(days=draw(st.integers(0, 30)))
    checkins = draw(histories(protocol, run_days, start))
    last = checkins[-1].date if checkins else start
    as_of = last + dt.timedelta(days=draw(st.integers(0, 20)))
    return protocol, patient(start=start, run_days=run_days, checkins=checkins), as_of


@settings(max_examples=250, deadline=None)
@given(plans())
def test_invariants_of_every_schedule(case):
    protocol, person, as_of = case
    schedule = make_schedule(person, protocol, as_of)
    assert schedule == make_schedule(person, protocol, as_of)  # a pure function
    runs = [log.date for log in schedule.logged] + [p.date for p in schedule.sessions]
    rest = protocol.rules.rest_days_between_runs
    assert all((b - a).days > rest for a, b in itertools.pairwise(runs)), "rest days between runs"
    for item in schedule.planned:
        assert item.date >= person.plan.start and item.date >= as_of, "never before the start"
        assert WEEKDAYS[item.date.weekday()] in person.plan.run_days, "only on run days"
    numbers = [p.stage.number for p in schedule.planned]
    assert all(b - a in (0, 1) for a, b in itertools.pairwise(numbers)), "stages never skip"
    if schedule.logged and numbers:
        assert numbers[0] <= schedule.logged[-1].stage.number + 1, "no skip after the log"
    if schedule.status == "active":
        assert numbers[-1] == len(protocol.stages), "the plan runs to the last stage"


@settings(max_examples=150, deadline=None)
@given(run_day_sets(1), st.integers(0, 30), st.integers(0, 10))
def test_a_high_risk_plan_is_never_shorter_than_a_low_risk_one(run_days, start, late):
    person = patient(start=MONDAY + dt.timedelta(days=start), run_days=run_days)
    as_of = person.plan.start + dt.timedelta(days=late)
    low, high = make_schedule(person, LOW, as_of), make_schedule(person, HIGH, as_of)
    assert high.end >= low.end
    assert len(high.sessions) > len(low.sessions)


@settings(max_examples=100, deadline=None)
@given(run_day_sets(1), st.sampled_from([LOW, HIGH]))
def test_each_stage_gets_exactly_its_sessions_in_a_fresh_plan(run_days, protocol):
    schedule = make_schedule(patient(run_days=run_days), protocol, MONDAY)
    counts = [sum(1 for s in schedule.sessions if s.stage == stage) for stage in protocol.stages]
    assert counts == [stage.sessions for stage in protocol.stages]
