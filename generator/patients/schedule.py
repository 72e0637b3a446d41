"""The schedule: a pure function of a patient file and their protocol.

`make_schedule` replays the patient's logged check-ins and clinic reviews through the
protocol's rules, then lays out the rest of the program from where the patient is, on their
run days, with the protocol's rest days between runs. It reads no clock and takes no "today":
the same file and protocol give the same schedule whatever day the plan is printed on (which
planned sessions are already past is the plan's business, not the schedule's).

The rules, as the clinical notes word them (the figures come from the protocol file):
- green (no pain at the site, soreness gone by the next morning) counts toward the stage, unless
  it came before the rest the protocol asks for after a run; after the stage's sessions, move
  up one stage;
- amber (mild pain at the site, or soreness still there the next morning) steps back to the
  previous running stage, after the rest the traffic light asks for;
- red (pain from 4/10, or any red flag) pauses the plan until a clinic review restarts it;
- missed time: a gap of more than `missed_days` between logged sessions, or between a review
  and the next logged session, drops one stage for every `days_per_stage_dropped` days missed;
- a stage with a gate starts only once a review signs it off (the clearance covers stage 1);
- a check-in is at most at the stage the plan had reached that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from generator.content.protocols import Protocol, Stage, TrafficLight
from generator.patients.model import WEEKDAYS, CheckIn, Patient, Review

Light = Literal["green", "amber", "red"]
Kind = Literal["session", "recovery", "review"]
Status = Literal["active", "paused", "complete"]
NoticeKind = Literal["amber", "red", "missed", "restart", "signoff", "too-soon"]
MAX_PLANNED = 2000  # far beyond any protocol; a guard, never reached by valid input
ONE_DAY = dt.timedelta(days=1)


class ScheduleProblem(Exception):
    """The check-ins cannot be replayed; `where` is the field (`checkins[3].stage`)."""

    def __init__(self, where: str, message: str) -> None:
        self.where, self.message = where, message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Logged:
    """A session the patient did, as the traffic light reads it."""

    date: dt.date
    stage: Stage
    light: Light
    checkin: CheckIn
    counted: bool  # whether it counted toward moving up (green, after the rest asked for)


@dataclass(frozen=True)
class Planned:
    """A day of the plan still to be done: a session, a recovery day or a clinic review."""

    date: dt.date
    stage: Stage
    kind: Kind
    slot: str  # the same slot keeps its name across re-plans: "session-7", "review-6"
    moved_from: dt.date | None = None  # a review moved off a day the clinic is closed


@dataclass(frozen=True)
class Notice:
    """Something the plan tells the patient about how it was re-planned."""

    kind: NoticeKind
    date: dt.date
    stage: int  # the stage the patient is at afterwards
    days: int = 0  # for "missed": days without a session


@dataclass(frozen=True)
class Schedule:
    """A patient's program: what was logged, what comes next, and where they are."""

    protocol: Protocol
    start: dt.date  # plan.start: the first day the patient may run
    logged: tuple[Logged, ...]
    planned: tuple[Planned, ...]
    notices: tuple[Notice, ...]
    status: Status
    stage: int  # the stage the patient is at, or will start with
    paused_on: dt.date | None = None  # the red day that paused the plan

    @property
    def sessions(self) -> tuple[Planned, ...]:
        """The planned running (or walking) sessions, without reviews and recovery days."""
        return tuple(p for p in self.planned if p.kind == "session")

    @property
    def first_day(self) -> dt.date | None:
        """The day of the first session, logged or planned."""
        days = [log.date for log in self.logged] + [p.date for p in self.planned]
        return min(days) if days else None

    @property
    def end(self) -> dt.date | None:
        """The last planned day, if any."""
        return self.planned[-1].date if self.planned else None


def light_of(checkin: CheckIn, rules: TrafficLight) -> Light:
    """How the traffic light reads a logged session (bone is stricter than tendon)."""
    if checkin.red_flags or checkin.worst_pain >= rules.red_pain_from:
        return "red"
    if checkin.worst_pain > 0 or checkin.soreness_next_morning:
        return "amber"
    return "green"


@dataclass
class _State:
    """Where the replay stands after each event of the file."""

    not_before: dt.date  # the earliest day the next session may be planned
    counts_from: dt.date  # the earliest day a session counts toward moving up
    stage: int = 1
    done: int = 0  # counted sessions at this stage since arriving at it
    since: dt.date | None = None  # the last session or review: missed time counts from here
    paused_on: dt.date | None = None
    signed: set[int] = field(default_factory=lambda: {1})  # gated stages signed off


def make_schedule(
    patient: Patient, protocol: Protocol, *, holidays: frozenset[dt.date] = frozenset()
) -> Schedule:
    """The patient's schedule: replay the check-ins and reviews, then plan the rest.

    A clinic review that would fall on one of `holidays` (days the clinic is closed) moves to
    the next run day that is not one.

    Raises `ScheduleProblem` when the check-ins cannot be replayed (one that skips ahead or
    past a gate, a session after a red day with no restart), or when the plan would run past
    the last day a date can hold.
    """
    try:
        return _schedule(patient, protocol, holidays)
    except OverflowError:
        raise ScheduleProblem("plan", "would run past the year 9999: check the dates") from None


def _schedule(patient: Patient, protocol: Protocol, holidays: frozenset[dt.date]) -> Schedule:
    start = patient.plan.start
    state = _State(not_before=start, counts_from=start)
    logged, notices = _replay(patient, protocol, state)
    stage = min(state.stage, len(protocol.stages))
    if state.stage > len(protocol.stages):
        status: Status = "complete"
        planned: tuple[Planned, ...] = ()
    elif state.paused_on is not None:
        status, planned = "paused", ()
    else:
        status, planned = "active", _plan(patient, protocol, state, len(logged), holidays)
    return Schedule(
        protocol, start, logged, planned, tuple(notices), status, stage, state.paused_on
    )


def _replay(
    patient: Patient, protocol: Protocol, state: _State
) -> tuple[tuple[Logged, ...], list[Notice]]:
    logged: list[Logged] = []
    notices: list[Notice] = []
    reviews = {review.on: review for review in patient.reviews}
    checkins = {checkin.date: (index, checkin) for index, checkin in enumerate(patient.checkins, 1)}
    for day in sorted(set(reviews) | set(checkins)):
        if day in reviews:  # a review on the day of a session comes first
            _review(state, reviews[day], protocol, notices)
        if day in checkins:
            index, checkin = checkins[day]
            logged.append(_checkin(state, index, checkin, protocol, notices))
    return tuple(logged), notices


def _review(state: _State, review: Review, protocol: Protocol, notices: list[Notice]) -> None:
    """A clinic review puts the patient at its stage, signing off every gate up to it."""
    kind: NoticeKind = "restart" if state.paused_on is not None else "signoff"
    state.stage, state.done, state.paused_on = review.stage, 0, None
    state.signed |= {s.number for s in protocol.stages if s.gate and s.number <= review.stage}
    state.since = review.on
    state.not_before = max(state.not_before, review.on)
    state.counts_from = max(state.counts_from, review.on)
    notices.append(Notice(kind, review.on, review.stage))


def _checkin(
    state: _State, index: int, checkin: CheckIn, protocol: Protocol, notices: list[Notice]
) -> Logged:
    """Replay one logged session: check it could be done, then apply its light."""
    where = f"checkins[{index}]"
    if state.paused_on is not None:
        raise ScheduleProblem(
            where, "is after a red day, but no clinic review (reviews) has restarted the plan"
        )
    _apply_missed_time(state, checkin.date, protocol, notices)
    stage = _checked_stage(state, where, checkin, protocol)
    light = light_of(checkin, protocol.rules.traffic_light)
    counted = light == "green" and checkin.date >= state.counts_from
    state.since = checkin.date
    if light == "green":
        _count(state, stage, checkin.date, protocol, counted)
        if not counted:
            notices.append(Notice("too-soon", checkin.date, state.stage))
    elif light == "amber":
        state.stage, state.done = _previous_running_stage(protocol, stage.number), 0
        fewest, most = protocol.rules.traffic_light.amber_rest_days
        state.not_before = checkin.date + ONE_DAY * (most + 1)
        state.counts_from = checkin.date + ONE_DAY * (fewest + 1)
        notices.append(Notice("amber", checkin.date, state.stage))
    else:  # paused; a restart on the next day still leaves the rest day after this run
        state.paused_on = checkin.date
        rest = protocol.rules.rest_days_between_runs
        state.not_before = checkin.date + ONE_DAY * (rest + 1)
        notices.append(Notice("red", checkin.date, state.stage))
    return Logged(checkin.date, stage, light, checkin, counted)


def _checked_stage(state: _State, where: str, checkin: CheckIn, protocol: Protocol) -> Stage:
    """The stage of a check-in, if the plan had reached it that day and its gate is signed."""
    if checkin.stage > state.stage or checkin.stage > len(protocol.stages):
        raise ScheduleProblem(
            f"{where}.stage",
            "is past the stage the plan had reached on that day: a session cannot skip ahead "
            "(log the stage that was done, or add the clinic review that moved the patient on)",
        )
    stage = protocol.stages[checkin.stage - 1]
    if stage.gate and stage.number not in state.signed:
        raise ScheduleProblem(
            f"{where}.stage",
            "is at a stage that needs a clinic review first, but no review (reviews) signs "
            "that stage off: add the review, with the day it was done",
        )
    if stage.number < state.stage:  # a lower stage done again: progress counts from there
        state.stage, state.done = stage.number, 0
    return stage


def _apply_missed_time(
    state: _State, day: dt.date, protocol: Protocol, notices: list[Notice]
) -> None:
    """Drop back for the days missed since the last session or review, as the file shows."""
    if state.since is None:
        return
    rules = protocol.rules
    missed = (day - state.since).days - 1
    if missed > rules.missed_days:
        state.stage = max(1, state.stage - missed // rules.days_per_stage_dropped)
        state.done = 0
        notices.append(Notice("missed", day, state.stage, missed))


def _count(state: _State, stage: Stage, day: dt.date, protocol: Protocol, counted: bool) -> None:
    """A green session: one more toward moving up (if counted), then the rest before the next."""
    if counted:
        state.done += 1
        if state.done >= stage.sessions:
            state.stage, state.done = stage.number + 1, 0
    rest = 0 if stage.recovery else protocol.rules.rest_days_between_runs
    state.not_before = state.counts_from = day + ONE_DAY * (rest + 1)


def _previous_running_stage(protocol: Protocol, number: int) -> int:
    """The stage to repeat after an amber day: the one before, skipping recovery days."""
    previous = number - 1
    while previous > 1 and protocol.stages[previous - 1].recovery:
        previous -= 1
    return max(1, previous)


def _plan(
    patient: Patient,
    protocol: Protocol,
    state: _State,
    logged: int,
    holidays: frozenset[dt.date],
) -> tuple[Planned, ...]:
    """The rest of the program from where the replay left the patient."""
    planned: list[Planned] = []
    day = state.not_before
    slot = logged  # sessions are numbered through the whole program, logged ones first
    while state.stage <= len(protocol.stages) and len(planned) < MAX_PLANNED:
        day = _next_run_day(patient, max(day, state.not_before))
        stage = protocol.stages[state.stage - 1]
        if stage.gate and stage.number not in state.signed:
            review = _open_day(patient, day, holidays)
            moved = day if review != day else None
            planned.append(Planned(review, stage, "review", f"review-{stage.number}", moved))
            state.signed.add(stage.number)
            day = review + ONE_DAY
            continue
        slot += 1
        kind: Kind = "recovery" if stage.recovery else "session"
        planned.append(Planned(day, stage, kind, f"session-{slot}"))
        _count(state, stage, day, protocol, counted=True)
    return tuple(planned)


def _open_day(patient: Patient, day: dt.date, holidays: frozenset[dt.date]) -> dt.date:
    """`day`, or the next run day the clinic is open."""
    while day in holidays:
        day = _next_run_day(patient, day + ONE_DAY)
    return day


def _next_run_day(patient: Patient, day: dt.date) -> dt.date:
    run_days = {WEEKDAYS.index(d) for d in patient.plan.run_days}
    for offset in range(7):
        candidate = day + ONE_DAY * offset
        if candidate.weekday() in run_days:
            return candidate
    raise ValueError("a plan needs at least one run day")
