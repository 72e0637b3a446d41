"""The schedule: a pure function of a patient, their protocol and the date the plan is made.

`make_schedule` replays the patient's logged check-ins and clinic reviews through the
protocol's rules (the traffic light, the missed-time rule), then plans the sessions from where
the patient really is, on their run days, with the protocol's rest days between runs. It does
no I/O and reads no clock: the same inputs always give the same schedule.

The rules, as `content/protocols/*.yaml` states them:
- green (no pain at the site): counts toward the stage; after the stage's sessions, move up;
- amber (pain up to 3/10, or pain still there next morning): step back one stage, after
  the most rest days the traffic light allows;
- red (pain from 4/10, or any red flag): the plan pauses until a clinic review restarts it;
- missed time: after more than `missed_days` without a session, drop back one stage for every
  `days_per_stage_dropped` days missed;
- a stage with a gate starts only after a clinic review (the clearance covers stage 1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from generator.content.protocols import Protocol, Stage, TrafficLight
from generator.patients.model import WEEKDAYS, CheckIn, Patient

Light = Literal["green", "amber", "red"]
Kind = Literal["session", "recovery", "review"]
Status = Literal["active", "paused", "complete"]
MAX_PLANNED = 2000  # far beyond any protocol; a guard, never reached by valid input
ONE_DAY = dt.timedelta(days=1)


class ScheduleProblem(Exception):
    """The check-ins cannot be replayed (a session after a red day with no restart)."""

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


@dataclass(frozen=True)
class Planned:
    """A day of the plan still to come."""

    date: dt.date
    stage: Stage
    kind: Kind
    occurrence: int  # the nth time this stage is scheduled (logged ones included), from 1

    @property
    def key(self) -> str:
        """Stable across re-plans while the history is unchanged (for calendar UIDs)."""
        return f"{self.kind}-{self.stage.number}-{self.occurrence}"


@dataclass(frozen=True)
class Notice:
    """Something the plan tells the patient about how it was re-planned."""

    kind: Literal["amber", "red", "missed", "restart"]
    date: dt.date
    stage: int  # the stage the patient is at afterwards
    days: int = 0  # for "missed": days without a session


@dataclass(frozen=True)
class Schedule:
    """A patient's plan on `as_of`: what was logged, what comes next, and where they are."""

    protocol: Protocol
    start: dt.date
    as_of: dt.date
    logged: tuple[Logged, ...]
    planned: tuple[Planned, ...]
    notices: tuple[Notice, ...]
    status: Status
    stage: int  # the stage the patient is at, or will start with

    @property
    def sessions(self) -> tuple[Planned, ...]:
        """The planned running (or walking) sessions, without reviews and recovery days."""
        return tuple(p for p in self.planned if p.kind == "session")

    @property
    def end(self) -> dt.date | None:
        """The last planned day, if any."""
        return self.planned[-1].date if self.planned else None


def light_of(checkin: CheckIn, rules: TrafficLight) -> Light:
    """How the traffic light reads a logged session."""
    worst = max(checkin.pain_during, checkin.pain_next_morning)
    if checkin.red_flags or worst >= rules.red_pain_from:
        return "red"
    return "amber" if worst > 0 else "green"


@dataclass
class _State:
    stage: int = 1
    done: int = 0  # green sessions at this stage since arriving at it
    last: dt.date | None = None  # the last session logged or planned
    not_before: dt.date = dt.date.min
    paused: bool = False
    signed_off: set[int] = field(default_factory=lambda: {1})
    counts: dict[int, int] = field(default_factory=dict)  # times each stage was scheduled


def make_schedule(patient: Patient, protocol: Protocol, as_of: dt.date) -> Schedule:
    """The patient's schedule on `as_of`: replay the history, then plan the rest.

    Raises `ScheduleProblem` when the check-ins cannot be replayed, or when the plan would run
    past the last day a date can hold (dates typed in the year 9999).
    """
    try:
        return _schedule(patient, protocol, as_of)
    except OverflowError:
        raise ScheduleProblem(
            "plan", "would run past the year 9999: check the dates (and --as-of)"
        ) from None


def _schedule(patient: Patient, protocol: Protocol, as_of: dt.date) -> Schedule:
    state = _State(not_before=patient.plan.start)
    logged, notices = _replay(patient, protocol, state)
    if state.stage > len(protocol.stages):
        return Schedule(
            protocol,
            patient.plan.start,
            as_of,
            logged,
            (),
            tuple(notices),
            "complete",
            len(protocol.stages),
        )
    if state.paused:
        return Schedule(
            protocol, patient.plan.start, as_of, logged, (), tuple(notices), "paused", state.stage
        )
    first_day = _next_run_day(patient, max(state.not_before, as_of, patient.plan.start))
    if state.last is not None:
        missed = (first_day - state.last).days - 1
        if missed > protocol.rules.missed_days:
            state.stage = max(1, state.stage - missed // protocol.rules.days_per_stage_dropped)
            state.done = 0
            notices.append(Notice("missed", first_day, state.stage, missed))
    stage_now = state.stage
    planned = _plan(patient, protocol, state, first_day)
    return Schedule(
        protocol, patient.plan.start, as_of, logged, planned, tuple(notices), "active", stage_now
    )


def _replay(
    patient: Patient, protocol: Protocol, state: _State
) -> tuple[tuple[Logged, ...], list[Notice]]:
    rules = protocol.rules
    logged: list[Logged] = []
    notices: list[Notice] = []
    reviews = {review.on: review for review in patient.reviews}
    checkins = {checkin.date: (index, checkin) for index, checkin in enumerate(patient.checkins, 1)}
    for day in sorted(set(reviews) | set(checkins)):
        if day in reviews:
            review = reviews[day]
            state.stage, state.done, state.paused = review.stage, 0, False
            state.signed_off.add(review.stage)
            state.not_before = max(state.not_before, day)
            notices.append(Notice("restart", day, review.stage))
        if day not in checkins:
            continue
        index, checkin = checkins[day]
        if state.paused:
            raise ScheduleProblem(
                f"checkins[{index}]",
                "is after a red day, but no clinic review (reviews) has restarted the plan",
            )
        stage = protocol.stages[checkin.stage - 1]
        if checkin.stage != state.stage:
            state.stage, state.done = checkin.stage, 0
        state.signed_off.add(checkin.stage)
        state.counts[stage.number] = state.counts.get(stage.number, 0) + 1
        light = light_of(checkin, rules.traffic_light)
        logged.append(Logged(day, stage, light, checkin))
        state.last = day
        if light == "green":
            _count_session(state, stage, day, rules.rest_days_between_runs)
        elif light == "amber":
            state.stage, state.done = max(1, checkin.stage - 1), 0
            state.not_before = day + ONE_DAY * (rules.traffic_light.amber_rest_days[-1] + 1)
            notices.append(Notice("amber", day, state.stage))
        else:
            state.paused = True
            notices.append(Notice("red", day, state.stage))
    return tuple(logged), notices


def _count_session(state: _State, stage: Stage, day: dt.date, rest_days: int) -> None:
    state.done += 1
    if state.done >= stage.sessions:
        state.stage, state.done = stage.number + 1, 0
    rest = 0 if stage.recovery else rest_days
    state.not_before = day + ONE_DAY * (rest + 1)


def _plan(patient: Patient, protocol: Protocol, state: _State, day: dt.date) -> tuple[Planned, ...]:
    planned: list[Planned] = []
    while state.stage <= len(protocol.stages) and len(planned) < MAX_PLANNED:
        day = _next_run_day(patient, max(day, state.not_before))
        stage = protocol.stages[state.stage - 1]
        if stage.gate and stage.number not in state.signed_off:
            planned.append(Planned(day, stage, "review", 1))
            state.signed_off.add(stage.number)
            day += ONE_DAY
            continue
        state.counts[stage.number] = state.counts.get(stage.number, 0) + 1
        kind: Kind = "recovery" if stage.recovery else "session"
        planned.append(Planned(day, stage, kind, state.counts[stage.number]))
        _count_session(state, stage, day, protocol.rules.rest_days_between_runs)
    return tuple(planned)


def _next_run_day(patient: Patient, day: dt.date) -> dt.date:
    run_days = {WEEKDAYS.index(d) for d in patient.plan.run_days}
    for offset in range(7):
        candidate = day + ONE_DAY * offset
        if candidate.weekday() in run_days:
            return candidate
    raise ValueError("a plan needs at least one run day")
