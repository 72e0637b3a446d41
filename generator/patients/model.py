"""Patients: the typed model of a patient file, and its checks against the library.

A patient file is private health information. Messages about it name the file, the row (for
a CSV export) and the field, never a value, so that nothing of a patient reaches a log beyond
the id.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from generator.content.injury_sites import InjurySite
from generator.content.protocols import TIERS, Protocol, lower_tier, protocol_for_tier
from generator.core import validators
from generator.core.errors import Problem
from generator.core.schema import spec

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RedFlag = Literal[
    "night_pain",
    "rest_pain",
    "walking_pain",
    "limp",
    "groin_pain",
    "swelling",
    "tenderness",
    "lingering_pain",
    "ticked_on_log",  # ticked on the plan's form, which one not said: the clinic calls
]
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Names Windows reserves for devices: a folder called CON cannot be created or copied there.
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


def patient_id_problem(value: str) -> str | None:
    """Why `value` cannot be a patient id (it names a folder), or None."""
    if not _ID.fullmatch(value):
        return "must be 1 to 64 letters, digits, '-' or '_' (it names the plan's folder)"
    if value.upper() in _RESERVED:
        return "is a name that some computers reserve for devices; choose another id"
    return None


@dataclass(frozen=True)
class Catalogue:
    """What patient fields are checked against (the `context` of `load(Patient, ...)`): the
    library's sites and protocols, and the date the plan is made on."""

    sites: Mapping[str, InjurySite]
    protocols: Mapping[str, Protocol]
    as_of: dt.date


def _known_site(site: str, catalogue: Catalogue) -> str | None:
    if site in catalogue.sites:
        return None
    close = difflib.get_close_matches(site, list(catalogue.sites), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else " (see content/injury-sites.yaml)"
    return "is not a known injury site" + hint


def _known_protocol(name: str, catalogue: Catalogue) -> str | None:
    if name == "auto" or name in catalogue.protocols:
        return None
    return f"is not 'auto' or a protocol in content/protocols/ ({', '.join(catalogue.protocols)})"


def _logged_by_plan_date(day: dt.date, catalogue: Catalogue) -> str | None:
    if day <= catalogue.as_of:
        return None
    return "is after the plan date (--as-of): a session cannot be logged before it happens"


def _pain(value: int) -> str | None:
    return None if 0 <= value <= 10 else "must be a pain score from 0 to 10"


def _stage(value: int) -> str | None:
    return None if value >= 1 else "must be a stage number, 1 or more"


@dataclass(frozen=True)
class Injury:
    """Where the bone stress injury is."""

    site: str = spec(
        doc="A key of content/injury-sites.yaml, e.g. posteromedial-tibia.", against=_known_site
    )
    side: Literal["left", "right", "both"] | None = spec(None, doc="left, right or both.")
    diagnosed: dt.date | None = spec(None, doc="When it was diagnosed.")


ImagingMethod = Literal["mri", "ct", "xray", "bone-scan"]


@dataclass(frozen=True)
class Imaging:
    """Healing confirmed by imaging: what a high-risk site needs before stage 1."""

    method: ImagingMethod = spec(doc="mri, ct, xray or bone-scan.")
    on: dt.date = spec(doc="The day of the scan.")


@dataclass(frozen=True)
class Clearance:
    """The clinician's clearance to start: nobody starts without it."""

    by: str = spec(doc="Who cleared the patient to start.", check=validators.one_line)
    on: dt.date = spec(doc="When.")
    imaging: Imaging | None = spec(
        None, doc="Healing confirmed by imaging; required for a high-risk site."
    )


@dataclass(frozen=True)
class PlanOptions:
    """When and how the patient runs."""

    start: dt.date = spec(doc="The first day the patient may run.")
    run_days: tuple[Weekday, ...] = spec(doc="Weekdays to run on, e.g. [mon, wed, fri].")
    protocol: str = spec(
        "auto", doc="auto (by the site's risk tier) or a protocol's name.", against=_known_protocol
    )
    protocol_reason: str = spec(
        "",
        doc="Why, in one line, when the protocol is made for a lower risk tier than the site's.",
        check=validators.one_line,
    )


@dataclass(frozen=True)
class Clinician:
    """The patient's clinician, printed on the plan."""

    name: str = spec(doc="The clinician's name.", check=validators.one_line)
    phone: str = spec(
        "", doc="A direct phone number, if not the clinic's.", check=validators.one_line
    )
    email: str | None = spec(None, doc="The clinician's email.", check=validators.email)


@dataclass(frozen=True, kw_only=True)
class CheckIn:
    """A session the patient has done, with how it felt."""

    date: dt.date = spec(doc="The day of the session.", against=_logged_by_plan_date)
    stage: int = spec(doc="The stage done that day.", check=_stage)
    pain_during: int = spec(doc="Pain at the injury site during the session, 0-10.", check=_pain)
    pain_evening: int | None = spec(
        None, doc="Pain at the injury site that evening, 0-10.", check=_pain
    )
    pain_next_morning: int = spec(
        doc="Pain at the injury site the next morning, 0-10.", check=_pain
    )
    soreness_next_morning: bool | None = spec(
        None, doc="Whether muscle soreness was still there the next morning (yes or no)."
    )
    red_flags: tuple[RedFlag, ...] = spec((), doc="Any red flags noticed.")
    note: str = spec(
        "", doc="The patient's note on the log, in one line.", check=validators.one_line
    )

    @property
    def worst_pain(self) -> int:
        """The highest pain score at the injury site: during, that evening or next morning."""
        return max(self.pain_during, self.pain_evening or 0, self.pain_next_morning)


@dataclass(frozen=True)
class Review:
    """A clinic review that signs the patient off to (re)start a stage on a date."""

    on: dt.date = spec(doc="The day of the review.")
    stage: int = spec(doc="The stage the patient may do from that day.", check=_stage)
    by: str = spec("", doc="Who signed it off.", check=validators.one_line)


@dataclass(frozen=True, kw_only=True)
class Patient:
    """A patient file, valid in itself (see `problems` for its checks against the library)."""

    id: str = spec(
        doc="Letters, digits, '-' and '_', at most 64; names the plan's folder.",
        check=patient_id_problem,
    )
    name: str = spec(doc="The patient's full name.", check=validators.one_line)
    preferred_name: str | None = spec(
        None, doc="What to call the patient.", check=validators.one_line
    )
    email: str | None = spec(
        None, doc="Where to send the plan (needed by r2r email).", check=validators.email
    )
    language: str | None = spec(
        None, doc="The plan's language, e.g. en.", check=validators.language
    )
    injury: Injury = spec(doc="The injury.")
    clearance: Clearance = spec(doc="The clearance to start.")
    plan: PlanOptions = spec(doc="The plan.")
    clinician: Clinician | None = spec(None, doc="The clinician.")
    notes: str = spec("", doc="Free text for the patient, shown on the plan.")
    checkins: tuple[CheckIn, ...] = spec((), doc="Sessions done, oldest first.")
    reviews: tuple[Review, ...] = spec((), doc="Clinic reviews: sign-offs and restarts.")

    @property
    def greeting_name(self) -> str:
        """The name to greet the patient by."""
        return self.preferred_name or self.name.split()[0]

    def check(self) -> Iterator[Problem]:
        """Checks between fields that need nothing but the file."""
        if self.injury.diagnosed and self.injury.diagnosed > self.clearance.on:
            yield Problem("injury.diagnosed", "is after the clearance date (clearance.on)")
        if self.clearance.on > self.plan.start:
            yield Problem("plan.start", "is before the clearance date (clearance.on)")
        if len(set(self.plan.run_days)) != len(self.plan.run_days):
            yield Problem("plan.run_days", "names a day twice")
        if not self.plan.run_days:
            yield Problem("plan.run_days", "needs at least one day")
        yield from _dated_in_order("checkins", [c.date for c in self.checkins], self.plan.start)
        yield from _dated_in_order("reviews", [r.on for r in self.reviews], self.clearance.on)
        imaging = self.clearance.imaging
        if imaging and imaging.on > self.plan.start:
            yield Problem("clearance.imaging.on", "is after the plan starts (plan.start)")


def _dated_in_order(key: str, dates: list[dt.date], earliest: dt.date) -> Iterator[Problem]:
    for index, day in enumerate(dates, 1):
        if day < earliest:
            yield Problem(
                f"{key}[{index}].date" if key == "checkins" else f"{key}[{index}].on",
                "is before the plan starts"
                if key == "checkins"
                else "is before the clearance date",
            )
        if index > 1 and day <= dates[index - 2]:
            yield Problem(f"{key}[{index}]", "is out of order: list them oldest first, one per day")


def protocol_problems(patient: Patient, catalogue: Catalogue) -> list[Problem]:
    """What is wrong with a valid `patient` (loaded against `catalogue`) given their
    protocol's rules and stages."""
    problems: list[Problem] = []
    protocol = resolve_protocol(patient, catalogue.protocols, catalogue.sites)
    site = catalogue.sites.get(patient.injury.site)
    if site is not None:
        problems += _tier_problems(patient, site, protocol)
    if protocol is not None:
        problems += _run_day_problems(patient.plan.run_days, protocol)
    elif patient.plan.protocol == "auto" and site is None:
        problems += _run_day_problems_for_any_tier(patient.plan.run_days, catalogue)
    if protocol is not None:
        last = len(protocol.stages)
        staged: list[tuple[str, int]] = [
            *((f"checkins[{i}].stage", c.stage) for i, c in enumerate(patient.checkins, 1)),
            *((f"reviews[{i}].stage", r.stage) for i, r in enumerate(patient.reviews, 1)),
        ]
        problems += [
            Problem(key, f"is past the protocol's last stage ({last})")
            for key, stage in staged
            if stage > last
        ]
    return problems


def _tier_problems(patient: Patient, site: InjurySite, protocol: Protocol | None) -> list[Problem]:
    """A high-risk site needs imaging; a protocol made for a lower tier needs a reason."""
    problems = []
    if site.tier == "high" and patient.clearance.imaging is None:
        problems.append(
            Problem(
                "clearance.imaging",
                "is required for a high-risk site: healing confirmed by imaging before stage 1, "
                "as {method: mri|ct|xray|bone-scan, on: YYYY-MM-DD}",
            )
        )
    if protocol and lower_tier(protocol, site.tier) and not patient.plan.protocol_reason:
        problems.append(
            Problem(
                "plan.protocol",
                "is made for a lower risk tier than the injury site's: give "
                "plan.protocol_reason (one line, printed on the plan) if the clinician chose it",
            )
        )
    return problems


def resolve_protocol(
    patient: Patient, protocols: Mapping[str, Protocol], sites: Mapping[str, InjurySite]
) -> Protocol | None:
    """The protocol the patient follows: named in the plan, or chosen by the site's tier."""
    if patient.plan.protocol != "auto":
        return protocols.get(patient.plan.protocol)
    site = sites.get(patient.injury.site)
    return protocol_for_tier(protocols, site.tier) if site else None


def _run_day_problems_for_any_tier(
    days: tuple[Weekday, ...], catalogue: Catalogue
) -> list[Problem]:
    """With the injury site unknown, the run-day problem that `auto` would meet whichever
    tier the site turns out to be, so that it is not hidden until the site is fixed."""
    choices = [protocol_for_tier(catalogue.protocols, tier) for tier in TIERS]
    found = [_run_day_problems(days, p) for p in choices if p is not None]
    return found[0] if found and all(found) else []


def _run_day_problems(days: tuple[Weekday, ...], protocol: Protocol) -> list[Problem]:
    """Run days must leave the protocol's rest days between runs, week after week."""
    rest = protocol.rules.rest_days_between_runs
    numbers = sorted(WEEKDAYS.index(d) for d in set(days))
    if not numbers or rest == 0:
        return []
    for here, following in zip(numbers, [*numbers[1:], numbers[0] + 7], strict=True):
        if len(numbers) > 1 and following - here <= rest:
            first, second = WEEKDAYS[here], WEEKDAYS[following % 7]
            return [
                Problem(
                    "plan.run_days",
                    f"{first} and {second} leave fewer than {rest} rest "
                    f"day(s) between runs, as {protocol.name} requires",
                )
            ]
    return []
