"""Run/walk protocols as data: `content/protocols/<name>.yaml`.

A protocol is an ordered list of stages. A stage is a sequence of segments (walk, jog or run
minutes), written either in the interval shorthand `{run: 1, walk: 4, repeats: 4}` or as
explicit `segments: [{walk: 15}, {jog: 5}, {walk: 10}]`; or it is a no-impact `recovery` day.
Each stage is done a number of sessions (pain-free) before moving on; a stage may carry a
gate that needs the clinician's sign-off. The rules say how many rest days separate runs and
how the traffic light and missed time move a patient between stages. The same data drives the
website's tables, the handouts and every patient's dated schedule.

What a patient reads (the title, summary, surfaces, gates and notes) is given per language in
the one file, `note: {en: ..., es: ...}`; a plain string is the default language's. Every
language of the site must be given: a plan in Spanish with an English note would not be read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generator.core.errors import ContentError, Problem
from generator.core.schema import Text, spec, untranslated
from generator.core.yamlio import load_yaml_file

Activity = Literal["walk", "jog", "run"]
Tier = Literal["low", "high"]
ACTIVITIES: tuple[Activity, ...] = ("walk", "jog", "run")


MAX_MINUTES = 600  # one activity, in one session
MAX_STAGES = 50
MAX_COUNT = 30  # sessions per stage, repeats, rest days: a plan stays finite and readable
MAX_DAYS = 365  # the missed-time rule


def _positive(value: float) -> str | None:
    if not value > 0:  # NaN included
        return "must be more than 0 minutes"
    return None if value <= MAX_MINUTES else f"must be at most {MAX_MINUTES} minutes"


def _bounded(low: int, high: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"must be from {low} to {high}"

    return check


NO_TEXT = Text({})
_count = _bounded(1, MAX_COUNT)
_rest_days = _bounded(0, MAX_COUNT)
_days = _bounded(1, MAX_DAYS)


@dataclass(frozen=True)
class SegmentSpec:
    """One part of a session, e.g. `{walk: 15}`: exactly one activity and its minutes."""

    walk: float | None = spec(None, check=_positive)
    jog: float | None = spec(None, check=_positive)
    run: float | None = spec(None, check=_positive)

    def check(self) -> Iterator[Problem]:
        given = [a for a in ACTIVITIES if getattr(self, a) is not None]
        if len(given) != 1:
            yield Problem("", "a segment needs exactly one of walk, jog or run, with its minutes")


@dataclass(frozen=True)
class StageSpec:
    """A stage as written in a protocol file."""

    run: float | None = spec(None, doc="Run minutes per interval.", check=_positive)
    walk: float | None = spec(None, doc="Walk minutes per interval.", check=_positive)
    jog: float | None = spec(None, doc="Jog minutes per interval.", check=_positive)
    repeats: int = spec(1, doc="How many times the interval is done in a session.", check=_count)
    segments: tuple[SegmentSpec, ...] = spec((), doc="Explicit segments, in order.")
    recovery: bool = spec(False, doc="A no-impact recovery day: no running or walking session.")
    sessions: int | None = spec(
        None, doc="Sessions needed here (default: the protocol's rule).", check=_count
    )
    gate: Text = spec(NO_TEXT, doc="What the clinician must sign off before this stage starts.")
    surface: Text = spec(NO_TEXT, doc="Where to run at this stage (default: the protocol's).")
    note: Text = spec(NO_TEXT, doc="A short note shown with the stage.")

    def check(self) -> Iterator[Problem]:
        shorthand = any(getattr(self, a) is not None for a in ACTIVITIES)
        if self.recovery and (shorthand or self.segments):
            yield Problem("", "a recovery day has no run, walk or jog minutes")
        elif shorthand and self.segments:
            yield Problem("", "give either run/walk/jog minutes or segments, not both")
        elif not (self.recovery or shorthand or self.segments):
            yield Problem("", "is empty: give run/walk/jog minutes, segments, or recovery: true")


@dataclass(frozen=True)
class TrafficLight:
    """How a logged session's symptoms are read (bone is stricter than tendon)."""

    amber_pain_up_to: int = spec(3, doc="Pain at the site up to this (0-10) is amber.")
    red_pain_from: int = spec(4, doc="Pain at the site from this (0-10) is red.")
    amber_rest_days: tuple[int, ...] = spec((1, 2), doc="Rest days after an amber session.")

    def check(self) -> Iterator[Problem]:
        if not 1 <= self.amber_pain_up_to <= 9:
            yield Problem("amber_pain_up_to", "must be between 1 and 9")
        if self.red_pain_from != self.amber_pain_up_to + 1:
            yield Problem(
                "red_pain_from",
                f"must be amber_pain_up_to + 1 "
                f"({self.amber_pain_up_to + 1}), or some pain "
                "scores would be neither amber nor red",
            )
        days = self.amber_rest_days
        if len(days) != 2 or not 0 < days[0] <= days[1] <= MAX_COUNT:
            yield Problem(
                "amber_rest_days", f"must be [fewest, most] days, like [1, 2], at most {MAX_COUNT}"
            )


@dataclass(frozen=True)
class Rules:
    """How patients move through the stages."""

    sessions_per_stage: int = spec(
        2, doc="Pain-free sessions needed before the next stage.", check=_count
    )
    rest_days_between_runs: int = spec(
        1, doc="Rest days, at least, between two sessions.", check=_rest_days
    )
    missed_days: int = spec(
        7, doc="More days than this without a session means dropping back.", check=_days
    )
    days_per_stage_dropped: int = spec(
        5, doc="Drop one stage for every this many days missed.", check=_days
    )
    traffic_light: TrafficLight = spec(TrafficLight(), doc="How symptoms are read.")


@dataclass(frozen=True, kw_only=True)
class ProtocolSpec:
    """A protocol file."""

    title: Text = spec(doc="The protocol's name, as patients see it.")
    tier: Tier | None = spec(
        None,
        doc="The risk tier it is made for: low or high (without one, it counts as made for "
        "low-risk sites, and `protocol: auto` never picks it).",
    )
    default: bool = spec(
        False,
        doc="Whether `protocol: auto` picks it for its tier (needed only when several "
        "protocols are made for one tier).",
    )
    summary: Text = spec(NO_TEXT, doc="One or two sentences: who it is for.")
    surface: Text = spec(NO_TEXT, doc="Where to run, unless a stage says otherwise.")
    source: str = spec("", doc="Where the progression comes from.")
    rules: Rules = spec(Rules(), doc="How patients move through the stages.")
    stages: tuple[StageSpec, ...] = spec(doc="The stages, in order.")

    def check(self) -> Iterator[Problem]:
        if not self.title:
            yield Problem("title", "is required but empty")
        if not self.stages:
            yield Problem("stages", "has no stages")
        elif len(self.stages) > MAX_STAGES:
            yield Problem("stages", f"has more than {MAX_STAGES} stages")
        elif all(s.recovery for s in self.stages):
            yield Problem("stages", "has only recovery days")
        elif self.stages[0].recovery:
            yield Problem("stages[1]", "the first stage may not be a recovery day")


@dataclass(frozen=True)
class Segment:
    """One part of a session: an activity for some minutes."""

    activity: Activity
    minutes: float


@dataclass(frozen=True)
class Stage:
    """A stage ready for the schedule and the tables."""

    number: int
    segments: tuple[Segment, ...]  # one interval (or the whole session when repeats is 1)
    repeats: int
    sessions: int
    recovery: bool
    gate: str
    surface: str
    note: str

    @property
    def minutes(self) -> float:
        """The session's total length in minutes."""
        return sum(s.minutes for s in self.segments) * self.repeats

    def minutes_of(self, activity: Activity) -> float:
        """Minutes of `activity` in the whole session."""
        return sum(s.minutes for s in self.segments if s.activity == activity) * self.repeats


@dataclass(frozen=True)
class Protocol:
    """A validated protocol."""

    name: str
    title: str
    tier: Tier | None
    default: bool
    summary: str
    surface: str
    source: str
    rules: Rules
    stages: tuple[Stage, ...]
    language: str = ""  # the language of its texts
    # The same protocol in each language of the site, by language (this one included).
    translations: Mapping[str, Protocol] = field(default_factory=dict, compare=False, repr=False)

    def in_language(self, language: str) -> Protocol:
        """The protocol with its texts in `language`, one of the site's languages."""
        return self if language == self.language else self.translations[language]


def load_protocols(
    folder: Path, *, languages: Sequence[str], label: str = "content/protocols"
) -> dict[str, Protocol]:
    """Every `*.yaml` protocol in `folder`, by name, in the first of `languages` (the site's,
    each reachable with `in_language`); raise `ContentError` listing all problems."""
    protocols: dict[str, Protocol] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            protocols[path.stem] = load_protocol(path, f"{label}/{path.name}", languages)
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    return protocols


def load_protocol(path: Path, name: str, languages: Sequence[str]) -> Protocol:
    """One protocol file, its texts in every one of `languages` (the first is the default);
    `name` is how messages refer to it."""
    spec_ = load_yaml_file(ProtocolSpec, path, name=name, folder=path.parent)
    missing = [problem.within(name) for problem in untranslated(spec_, languages)]
    if missing:
        raise ContentError(missing)
    translations: dict[str, Protocol] = {}  # shared by the protocol in every language
    for language in languages:
        translations[language] = _build(path.stem, spec_, language, languages, translations)
    return translations[languages[0]]


def _build(
    name: str,
    spec_: ProtocolSpec,
    language: str,
    languages: Sequence[str],
    translations: Mapping[str, Protocol],
) -> Protocol:
    def text(value: Text) -> str:
        return value.get(language, languages[0]) or ""

    stages = tuple(
        Stage(
            number=number,
            segments=_segments(stage),
            repeats=stage.repeats,
            sessions=1 if stage.recovery else stage.sessions or spec_.rules.sessions_per_stage,
            recovery=stage.recovery,
            gate=text(stage.gate),
            surface=text(stage.surface or spec_.surface),
            note=text(stage.note),
        )
        for number, stage in enumerate(spec_.stages, 1)
    )
    return Protocol(
        name,
        text(spec_.title),
        spec_.tier,
        spec_.default,
        text(spec_.summary),
        text(spec_.surface),
        spec_.source,
        spec_.rules,
        stages,
        language,
        translations,
    )


def _segments(stage: StageSpec) -> tuple[Segment, ...]:
    if stage.segments:
        return tuple(_segment(s) for s in stage.segments)
    # The shorthand lists run before walk: an interval starts with its running part.
    order: tuple[Activity, ...] = ("run", "jog", "walk")
    return tuple(Segment(a, m) for a in order if (m := getattr(stage, a)) is not None)


def _segment(spec_: SegmentSpec) -> Segment:
    activity = next(a for a in ACTIVITIES if getattr(spec_, a) is not None)
    return Segment(activity, float(getattr(spec_, activity)))


TIERS: tuple[Tier, ...] = ("low", "high")  # in order of risk


def protocol_for_tier(protocols: Mapping[str, Protocol], tier: Tier) -> Protocol | None:
    """The protocol a site of `tier` uses when its plan says `protocol: auto`: the only one
    made for that tier, or the one of them marked `default: true`."""
    made_for = [p for p in protocols.values() if p.tier == tier]
    if len(made_for) == 1:
        return made_for[0]
    defaults = [p for p in made_for if p.default]
    return defaults[0] if len(defaults) == 1 else None


def lower_tier(protocol: Protocol, tier: Tier) -> bool:
    """Whether `protocol` is made for a lower risk tier than `tier`."""
    return TIERS.index(protocol.tier or TIERS[0]) < TIERS.index(tier)
