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

PROTOCOLS = load_protocols(REPO / "content" / "protocols", languages=("en",))
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


def amber(offset: int, stage: int) -> CheckIn:
    return CheckIn(date=day(offset), stage=stage, pain_during=2, pain_next_morning=0)


def greens(stages, *, every: int = 2, first: int = 0) -> list[CheckIn]:
    """Green sessions at `stages`, one every `every` days from day `first`."""
    return [green(first + every * i, stage) for i, stage in enumerate(stages)]


def test_a_fresh_plan_runs_every_stage_its_sessions_on_the_run_days():
    schedule = make_schedule(patient(), LOW)
    assert schedule.status == "active" and schedule.stage == 1
    dates = [item.date for item in schedule.planned]
    assert dates[:6] == [day(0), day(2), day(4), day(7), day(9), day(11)]
    assert all(d.weekday() in (0, 2, 4) for d in dates)
    stages = [item.stage.number for item in schedule.planned]
    assert stages == [n for n in range(1, 13) for _ in range(2)]
    assert schedule.end == day(7 * 7 + 4)
    assert [p.slot for p in schedule.planned[:3]] == ["session-1", "session-2", "session-3"]


def test_the_plan_starts_on_the_first_run_day_on_or_after_the_start():
    assert make_schedule(patient(start=day(1)), LOW).planned[0].date == day(2)
    assert make_schedule(patient(start=day(7)), LOW).first_day == day(7)


def test_gates_become_clinic_review_steps_and_stage_1_is_covered_by_the_clearance():
    schedule = make_schedule(patient(), HIGH)
    reviews = [(item.stage.number, item.slot) for item in schedule.planned if item.kind == "review"]
    assert reviews == [(6, "review-6"), (10, "review-10")]
    kinds = [p.kind for p in schedule.planned]
    after = schedule.planned[kinds.index("review") + 1]
    assert after.stage.number == 6 and after.date > schedule.planned[kinds.index("review")].date
    assert [s.stage.number for s in schedule.sessions].count(1) == 3


def test_a_recorded_review_signs_the_gate_off():
    reviews = [Review(on=day(-1), stage=6, by="Dr X")]
    schedule = make_schedule(patient(start=day(-30), reviews=reviews), HIGH)
    assert schedule.stage == 6
    assert [item.stage.number for item in schedule.planned if item.kind == "review"] == [10]
    assert [(n.kind, n.stage) for n in schedule.notices] == [("signoff", 6)]


def test_green_sessions_count_toward_the_stage_then_move_up():
    schedule = make_schedule(patient(checkins=greens([1, 1])), LOW)
    assert [log.light for log in schedule.logged] == ["green", "green"]
    assert schedule.stage == 2
    assert schedule.planned[0].date == day(4) and schedule.planned[0].stage.number == 2
    assert schedule.planned[0].slot == "session-3"


def test_amber_steps_back_one_stage_after_the_rest_it_asks_for():
    checkins = [*greens([1, 1, 2]), amber(7, 2)]
    schedule = make_schedule(patient(checkins=checkins), LOW)
    assert schedule.logged[-1].light == "amber"
    assert [(n.kind, n.stage) for n in schedule.notices] == [("amber", 1)]
    assert schedule.stage == 1
    assert schedule.planned[0].date == day(11)  # rest on day 8 and 9, wed 9 skipped
    assert schedule.planned[0].stage.number == 1
    assert schedule.planned[0].slot == "session-5"  # the slot the plan had there before


def test_amber_at_stage_1_repeats_stage_1():
    checkins = [CheckIn(date=day(0), stage=1, pain_during=0, pain_next_morning=2)]
    assert make_schedule(patient(checkins=checkins), LOW).stage == 1


def test_amber_after_a_recovery_day_steps_back_to_the_previous_running_stage():
    assert DAILY.stages[8].recovery and not DAILY.stages[7].recovery
    checkins = [green(i, i + 1) for i in range(9)] + [amber(9, 10)]
    schedule = make_schedule(patient(run_days=WEEKDAYS, checkins=checkins), DAILY)
    assert schedule.stage == 8


@pytest.mark.parametrize(
    ("fields", "light"),
    [
        ({}, "green"),
        ({"pain_during": 3}, "amber"),
        ({"pain_next_morning": 1}, "amber"),
        ({"pain_evening": 2}, "amber"),
        ({"soreness_next_morning": True}, "amber"),
        ({"soreness_next_morning": False}, "green"),
        ({"pain_during": 4}, "red"),
        ({"pain_evening": 4}, "red"),
        ({"pain_next_morning": 7}, "red"),
        ({"red_flags": ("limp",)}, "red"),
        ({"red_flags": ("lingering_pain",)}, "red"),
    ],
)
def test_the_traffic_light_reads_pain_at_the_site_and_lingering_soreness(fields, light):
    values = {"pain_during": 0, "pain_next_morning": 0} | fields
    checkin = CheckIn(date=MONDAY, stage=1, **values)
    assert light_of(checkin, LOW.rules.traffic_light) == light


@pytest.mark.parametrize(
    "fields",
    [{"pain_during": 4}, {"pain_next_morning": 5}, {"red_flags": ("night_pain",)}],
)
def test_red_pauses_the_plan(fields):
    checkin = CheckIn(date=day(2), stage=1, **({"pain_during": 0, "pain_next_morning": 0} | fields))
    schedule = make_schedule(patient(checkins=[green(0, 1), checkin]), LOW)
    assert schedule.status == "paused" and schedule.planned == ()
    assert schedule.paused_on == day(2)
    assert schedule.notices[-1].kind == "red"


def test_a_clinic_review_restarts_a_paused_plan_and_sessions_before_it_are_refused():
    red = CheckIn(date=day(2), stage=1, pain_during=5, pain_next_morning=3)
    restart = Review(on=day(14), stage=1, by="Dr X")
    schedule = make_schedule(patient(checkins=[green(0, 1), red], reviews=[restart]), LOW)
    assert schedule.status == "active" and schedule.stage == 1
    assert schedule.planned[0].date == day(14)
    assert [n.kind for n in schedule.notices] == ["red", "restart"]
    with pytest.raises(ScheduleProblem) as caught:
        make_schedule(patient(checkins=[green(0, 1), red, green(4, 1)]), LOW)
    assert str(caught.value) == (
        "checkins[3]: is after a red day, but no clinic review (reviews) has restarted the plan"
    )


def test_missed_time_is_counted_between_logged_sessions_only():
    checkins = [*greens([1, 1, 2, 2, 3, 3]), green(28, 1)]  # 17 days between day 10 and day 28
    schedule = make_schedule(patient(checkins=checkins), LOW)
    [notice] = schedule.notices
    assert (notice.kind, notice.days, notice.date) == ("missed", 17, day(28))
    assert notice.stage == 4 - 17 // 5 == 1
    # Nothing logged for weeks is not missed time: the plan does not know yet.
    quiet = make_schedule(patient(checkins=greens([1, 1, 2, 2, 3, 3])), LOW)
    assert quiet.notices == () and quiet.stage == 4


def test_a_session_logged_past_the_stage_missed_time_left_is_refused():
    checkins = [*greens([1, 1, 2, 2, 3, 3]), green(28, 4)]
    with pytest.raises(ScheduleProblem) as caught:
        make_schedule(patient(checkins=checkins), LOW)  # after the drop, stage 1 was reached
    assert caught.value.where == "checkins[7].stage"


def test_a_restart_resets_missed_time():
    red = CheckIn(date=day(2), stage=1, pain_during=6, pain_next_morning=2)
    restart = Review(on=day(20), stage=2, by="Dr X")
    checkins = [green(0, 1), red, green(22, 2)]
    schedule = make_schedule(patient(checkins=checkins, reviews=[restart]), LOW)
    assert [n.kind for n in schedule.notices] == ["red", "restart"]
    late = [green(0, 1), red, green(30, 1)]  # 9 days after the restart: back to stage 1
    later = make_schedule(patient(checkins=late, reviews=[restart]), LOW)
    assert [(n.kind, n.days) for n in later.notices][-1] == ("missed", 9)


def test_a_session_the_day_after_a_run_does_not_count_toward_moving_up():
    checkins = [green(0, 1), green(1, 1), green(3, 1)]  # Mon, Tue (no rest day), Thu
    schedule = make_schedule(patient(run_days=("mon", "tue", "thu"), checkins=checkins), LOW)
    assert [log.counted for log in schedule.logged] == [True, False, True]
    assert [(n.kind, n.date) for n in schedule.notices] == [("too-soon", day(1))]
    assert schedule.stage == 2  # Mon and Thu count; Tue does not
    assert schedule.planned[0].date >= day(5)


def test_a_check_in_that_skips_ahead_is_refused():
    checkins = [green(0, 1), green(2, 6)]
    with pytest.raises(ScheduleProblem) as caught:
        make_schedule(patient(checkins=checkins), HIGH)
    assert caught.value.where == "checkins[2].stage"
    with pytest.raises(ScheduleProblem):
        make_schedule(patient(checkins=[green(0, 1), green(2, 5), green(4, 12)]), LOW)


def test_a_check_in_past_a_gate_without_its_review_is_refused():
    stages = [n for n in range(1, 6) for _ in range(3)]
    checkins = [*greens(stages), green(2 * len(stages), 6)]
    with pytest.raises(ScheduleProblem) as caught:
        make_schedule(patient(checkins=checkins), HIGH)
    assert caught.value.where == f"checkins[{len(checkins)}].stage"
    signed = Review(on=day(2 * len(stages)), stage=6, by="Dr X")
    schedule = make_schedule(patient(checkins=checkins, reviews=[signed]), HIGH)
    assert schedule.logged[-1].stage.number == 6


def test_the_program_can_be_completed():
    schedule = make_schedule(patient(checkins=greens(n for n in range(1, 13) for _ in "ab")), LOW)
    assert schedule.status == "complete" and schedule.planned == ()


def test_the_day_by_day_progression_runs_on_consecutive_days_with_recovery_days():
    schedule = make_schedule(patient(run_days=WEEKDAYS), DAILY)
    assert [item.date for item in schedule.planned] == [day(i) for i in range(21)]
    assert [item.kind for item in schedule.planned].count("recovery") == 4


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
    """A plausible file: sessions at the stage the plan had reached (sometimes a lower one, or
    too soon, or after a gap), random lights, and a review at each gate and after a red day."""
    checkins, reviews, current, stage = [], [], start, 1
    for _ in range(draw(st.integers(0, 14))):
        current += dt.timedelta(days=draw(st.sampled_from([1, 2, 2, 3, 4, 9, 16])))
        gate = protocol.stages[stage - 1].gate and stage != 1
        if gate or draw(st.integers(0, 9)) == 0:
            reviews.append(Review(on=current, stage=stage, by="Dr X"))
        at = draw(st.sampled_from([stage, stage, stage, max(1, stage - 1)]))
        light = draw(st.sampled_from(["green"] * 6 + ["amber", "sore", "red"]))
        values = {"green": (0, None), "amber": (2, None), "sore": (0, True), "red": (5, None)}
        pain, sore = values[light]
        checkins.append(
            CheckIn(
                date=current,
                stage=at,
                pain_during=pain,
                pain_next_morning=0,
                soreness_next_morning=sore,
            )
        )
        try:
            schedule = make_schedule(
                patient(start=start, run_days=run_days, checkins=checkins, reviews=reviews),
                protocol,
            )
        except ScheduleProblem:
            checkins.pop()
            break
        if schedule.status == "paused":
            current += dt.timedelta(days=draw(st.integers(1, 10)))
            reviews.append(Review(on=current, stage=max(1, schedule.stage - 1), by="Dr X"))
            schedule = make_schedule(
                patient(start=start, run_days=run_days, checkins=checkins, reviews=reviews),
                protocol,
            )
        if schedule.status != "active":
            break
        stage = schedule.stage
    return checkins, reviews


@st.composite
def plans(draw):
    protocol = draw(st.sampled_from([LOW, HIGH]))
    run_days = draw(run_day_sets(protocol.rules.rest_days_between_runs))
    start = MONDAY + dt.timedelta(days=draw(st.integers(0, 30)))
    checkins, reviews = draw(histories(protocol, run_days, start))
    person = patient(start=start, run_days=run_days, checkins=checkins, reviews=reviews)
    return protocol, person


@settings(max_examples=250, deadline=None)
@given(plans())
def test_invariants_of_every_schedule(case):
    protocol, person = case
    schedule = make_schedule(person, protocol)
    assert schedule == make_schedule(person, protocol)  # a pure function of the file
    rest = protocol.rules.rest_days_between_runs
    runs = [log.date for log in schedule.logged] + [p.date for p in schedule.sessions]
    planned_runs = [p.date for p in schedule.sessions]
    assert all((b - a).days > rest for a, b in itertools.pairwise(planned_runs))
    if schedule.logged and planned_runs:
        assert (planned_runs[0] - schedule.logged[-1].date).days > rest, "a rest day after a run"
    assert runs == sorted(runs)
    for item in schedule.planned:
        assert item.date >= person.plan.start, "never before the start"
        assert WEEKDAYS[item.date.weekday()] in person.plan.run_days, "only on run days"
    numbers = [p.stage.number for p in schedule.planned]
    assert all(b - a in (0, 1) for a, b in itertools.pairwise(numbers)), "stages never skip"
    if schedule.status == "active":
        assert numbers[-1] == len(protocol.stages), "the plan runs to the last stage"
    signed = {1} | {
        s.number for r in person.reviews for s in protocol.stages if s.number <= r.stage
    }
    for index, item in enumerate(schedule.planned):
        earlier = {p.stage.number for p in schedule.planned[:index] if p.kind == "review"}
        if item.kind != "review" and item.stage.gate:
            assert item.stage.number in signed | earlier, "no stage past a gate without review"
    slots = [p.slot for p in schedule.planned]
    assert len(slots) == len(set(slots)), "each slot once"


@settings(max_examples=150, deadline=None)
@given(run_day_sets(1), st.integers(0, 30))
def test_a_high_risk_plan_is_never_shorter_than_a_low_risk_one(run_days, start):
    person = patient(start=MONDAY + dt.timedelta(days=start), run_days=run_days)
    low, high = make_schedule(person, LOW), make_schedule(person, HIGH)
    assert high.end >= low.end
    assert len(high.sessions) > len(low.sessions)


@settings(max_examples=100, deadline=None)
@given(run_day_sets(1), st.sampled_from([LOW, HIGH]))
def test_each_stage_gets_exactly_its_sessions_in_a_fresh_plan(run_days, protocol):
    schedule = make_schedule(patient(run_days=run_days), protocol)
    counts = [sum(1 for s in schedule.sessions if s.stage == stage) for stage in protocol.stages]
    assert counts == [stage.sessions for stage in protocol.stages]


def test_a_restart_the_day_after_a_red_run_still_leaves_a_rest_day():
    # Found by the invariants above: a red session on Tuesday, restarted by a review on
    # Wednesday, planned the first session of the restart on that Wednesday.
    red = CheckIn(date=day(1), stage=1, pain_during=5, pain_next_morning=0)
    person = patient(
        run_days=("tue", "wed"), checkins=[red], reviews=[Review(on=day(2), stage=1, by="Dr X")]
    )
    schedule = make_schedule(person, LOW)
    assert schedule.status == "active"
    assert schedule.sessions[0].date == day(8)  # not Wednesday, the day after the run
