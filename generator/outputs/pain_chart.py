"""The pain chart: pain during each logged session and the next morning, over the traffic light.

`pain_chart` lays the chart out from a schedule (no plotting library: the numbers here are
drawn as an inline SVG by `templates/shared/pain_chart.html`). The bands come from the
protocol's traffic light, the lights of the sessions from the schedule, so the chart can never
read a session differently from the plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise

from generator.content.protocols import TrafficLight
from generator.patients.schedule import Light, Schedule

MAX_PAIN = 10


@dataclass(frozen=True)
class Box:
    """The size of a chart and the margins around its plot, in SVG user units."""

    width: float
    height: float
    left: float = 0
    right: float = 0
    top: float = 0
    bottom: float = 0

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> float:
        """The y of pain 0."""
        return self.top + self.plot_height


FULL = Box(width=640, height=220, left=34, right=52, top=22, bottom=40)
SMALL = Box(width=160, height=36, top=2, bottom=2, left=2, right=2)


@dataclass(frozen=True)
class ChartPoint:
    """One logged session, where the chart draws it."""

    date: dt.date
    stage: int
    light: Light
    during: int
    morning: int
    x: float
    y_during: float
    y_morning: float


@dataclass(frozen=True)
class Band:
    """A traffic-light band: the pain scores `low` to `high`, drawn from `y` down `height`."""

    light: Light
    low: int
    high: int
    y: float
    height: float


@dataclass(frozen=True)
class StageStep:
    """A change of stage between two logged sessions, drawn as a line at `x`."""

    x: float
    stage: int


@dataclass(frozen=True)
class Tick:
    """A pain score on the axis."""

    value: int
    y: float


@dataclass(frozen=True)
class Peak:
    """The highest pain of a series, and the first day it was logged."""

    pain: int
    date: dt.date


@dataclass(frozen=True)
class PainChart:
    """A laid-out pain chart and the facts its text alternative states."""

    box: Box
    points: tuple[ChartPoint, ...]
    bands: tuple[Band, ...]
    steps: tuple[StageStep, ...]
    ticks: tuple[Tick, ...]

    @property
    def during_line(self) -> str:
        """The SVG `points` of the pain-during line."""
        return " ".join(f"{p.x:g},{p.y_during:g}" for p in self.points)

    @property
    def morning_line(self) -> str:
        """The SVG `points` of the next-morning line."""
        return " ".join(f"{p.x:g},{p.y_morning:g}" for p in self.points)

    @property
    def first(self) -> dt.date:
        return self.points[0].date

    @property
    def last(self) -> dt.date:
        return self.points[-1].date

    @property
    def peak_during(self) -> Peak:
        """The highest pain during a session."""
        top = max(self.points, key=lambda p: p.during)
        return Peak(top.during, top.date)

    @property
    def peak_morning(self) -> Peak:
        """The highest pain the next morning."""
        top = max(self.points, key=lambda p: p.morning)
        return Peak(top.morning, top.date)

    def count(self, light: Light) -> int:
        """How many logged sessions had `light`."""
        return sum(1 for p in self.points if p.light == light)


def pain_chart(schedule: Schedule, box: Box = FULL) -> PainChart | None:
    """The chart of the sessions logged in `schedule`, laid out in `box`; None before any."""
    logged = schedule.logged
    if not logged:
        return None
    step = box.plot_width / len(logged)
    points = tuple(
        ChartPoint(
            item.date,
            item.stage.number,
            item.light,
            item.checkin.pain_during,
            item.checkin.pain_next_morning,
            round(box.left + step * (index + 0.5), 2),
            _y(item.checkin.pain_during, box),
            _y(item.checkin.pain_next_morning, box),
        )
        for index, item in enumerate(logged)
    )
    steps = tuple(
        StageStep(round(box.left + step * index, 2), here.stage)
        for index, (before, here) in enumerate(pairwise(points), 1)
        if here.stage != before.stage
    )
    ticks = tuple(Tick(value, _y(value, box)) for value in range(0, MAX_PAIN + 1, 2))
    return PainChart(box, points, _bands(schedule.protocol.rules.traffic_light, box), steps, ticks)


def _bands(rules: TrafficLight, box: Box) -> tuple[Band, ...]:
    """Green is no pain at all; amber up to the protocol's limit; red from its red score up."""
    ranges: tuple[tuple[Light, int, int], ...] = (
        ("green", 0, 0),
        ("amber", 1, rules.amber_pain_up_to),
        ("red", rules.red_pain_from, MAX_PAIN),
    )
    bands = []
    for light, low, high in ranges:
        bottom = _y(low - 0.5, box)
        top = _y(min(high + 0.5, MAX_PAIN), box)
        bands.append(Band(light, low, high, top, round(bottom - top, 2)))
    return tuple(bands)


def _y(pain: float, box: Box) -> float:
    # The scale starts half a point below 0, so that "no pain" sits inside a green band.
    return round(box.base - box.plot_height * (pain + 0.5) / (MAX_PAIN + 0.5), 2)
