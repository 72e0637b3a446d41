"""Interface text: every user-facing string of the templates, one YAML file per language.

`templates/strings/<language>.yaml` is loaded into the typed shape below, with the library, so
that a missing, misspelt or mistyped key is an error naming the file and the key before
anything is written, never a failure in the middle of a batch. Templates read it as `t`
(`t.plan.title`); a section can also be indexed by a key chosen at run time
(`t.plan.lights[light]`). Texts with `{name}` placeholders are filled with `str.format`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from generator.core.errors import ContentError, Problem
from generator.core.yamlio import load_yaml_file


class Section:
    """A group of texts: attributes, also readable by key."""

    def __getitem__(self, key: str) -> Any:
        if key not in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            raise KeyError(key)
        return getattr(self, key)


@dataclass(frozen=True)
class Nav(Section):
    skip: str
    home: str
    topics: str
    all_topics: str
    main: str
    previous: str
    next: str
    on_this_page: str
    breadcrumb: str


@dataclass(frozen=True)
class Notice(Section):
    short: str
    full: str
    template: str


@dataclass(frozen=True)
class ContentLabels(Section):
    """Texts the Markdown pipeline writes into pages."""

    sources: str
    backlink: str
    red_flag: str
    tip: str
    note: str
    reviewed: str

    def callout(self, kind: str) -> str:
        """The default title of a `!!! kind` callout."""
        return str(getattr(self, kind.replace("-", "_")))


@dataclass(frozen=True)
class Handout(Section):
    download: str
    booklet: str
    booklet_title: str
    page: str
    contents: str
    prepared_by: str
    online: str


@dataclass(frozen=True)
class Phase(Section):
    title: str
    text: str


@dataclass(frozen=True)
class Home(Section):
    lead: str
    topics: str
    start: str
    glance: str
    phases: tuple[Phase, ...]
    who_title: str
    who: str


@dataclass(frozen=True)
class Search(Section):
    title: str
    label: str
    placeholder: str
    button: str
    needs_script: str
    failed: str
    empty: str
    none: str
    one: str
    many: str


@dataclass(frozen=True)
class NotFound(Section):
    title: str
    text: str
    home: str


@dataclass(frozen=True)
class Footer(Section):
    contact: str
    phone: str
    email: str
    address: str
    website: str


@dataclass(frozen=True)
class Activities(Section):
    walk: str
    jog: str
    run: str


@dataclass(frozen=True)
class ProtocolText(Section):
    """The protocol tables, and sessions and durations in words."""

    stage: str
    session: str
    total: str
    sessions: str
    notes: str
    gate: str
    where: str
    rest_days: str
    consecutive: str
    advance: str
    recovery: str
    repeat: str
    minutes: str
    seconds: str
    activities: Activities


@dataclass(frozen=True)
class CalendarText(Section):
    name: str
    session: str
    recovery: str
    review: str
    book: str
    red_flags: str
    call_title: str
    call: str


@dataclass(frozen=True)
class Sides(Section):
    left: str
    right: str
    both: str


@dataclass(frozen=True)
class Lights(Section):
    """The lights' names."""

    green: str
    amber: str
    red: str


@dataclass(frozen=True)
class LightHeader(Section):
    light: str
    notice: str
    do: str


@dataclass(frozen=True)
class LightRow(Section):
    """What a runner notices at a light, and what to do."""

    notice: str
    do: str


@dataclass(frozen=True)
class RedRow(Section):
    """The red light: what to notice is the pain limit and the site's red flags."""

    pain: str  # "Pain at the injury site of {n} out of 10 or more"
    do: str


@dataclass(frozen=True)
class TrafficLightText(Section):
    """The traffic light in the clinical notes' words (the website's table says the same)."""

    green: LightRow
    amber: LightRow
    red: RedRow


@dataclass(frozen=True)
class RedFlagSigns(Section):
    """The red flags, as signs a runner notices; `groin` only on a hip, thigh or pelvis plan."""

    lingering: str
    walking: str
    limp: str
    tenderness: str
    swelling: str
    groin: str


@dataclass(frozen=True)
class Notices(Section):
    """How the plan says it was re-planned, by notice kind."""

    amber: str
    red: str
    restart: str
    signoff: str
    missed: str
    too_soon: str


@dataclass(frozen=True)
class ImagingMethods(Section):
    mri: str
    ct: str
    xray: str
    bone_scan: str


@dataclass(frozen=True)
class LogHeader(Section):
    date: str
    stage: str
    during: str
    evening: str
    morning: str
    soreness: str
    red_flag: str
    notes: str


@dataclass(frozen=True)
class HowText(Section):
    """How to do each session: where, how fast, warm-up, rest days, missed time, the end."""

    title: str
    where: str
    pace: str
    warm_up: str
    rest_between: dict[str, str]  # by plural category ("one", "other")
    every_day: str
    rest_days: str
    missed: str
    after_last: str


@dataclass(frozen=True)
class PlanText(Section):
    title: str
    for_patient: str
    injury: str
    injury_side: str
    medical_name: str
    sides: Sides
    protocol: str
    protocol_reason: str
    first_session: str
    started: str
    made: str
    clinician: str
    call: str
    out_of_hours: str
    paused_title: str
    paused: str
    complete_title: str
    complete: str
    readiness_title: str
    readiness_intro: str
    readiness: tuple[str, ...]
    readiness_high: str
    imaging: str
    imaging_methods: ImagingMethods
    how: HowText
    gates_title: str
    gate: str
    calendar_title: str
    calendar_intro: str
    week: str
    day: str
    what: str
    done: str
    logged: str
    not_counted: str
    not_logged: str
    lights: Lights
    review_moved: str
    review_item: str
    notices: Notices
    light_title: str
    light_intro: str
    light_header: LightHeader
    traffic: TrafficLightText
    red_flags_title: str
    signs: RedFlagSigns
    log_title: str
    log_intro: str
    log_how: str
    log_ticks: str
    log_header: LogHeader
    log_field: str  # a form field's accessible name: "{what}, session of {date}"
    topics_title: str
    topics_intro: str
    qr_alt: str
    notes_title: str


@dataclass(frozen=True)
class EmailText(Section):
    subject: str  # with {clinic}; never a word about health
    greeting: str
    intro: str
    pdf: str
    log: str
    ics: str
    first: str
    review: str
    paused: str
    complete: str
    red_flags: str
    changes_title: str
    moved: str
    cancelled: str
    calendar_update: str
    sign_off: str
    footer: str


@dataclass(frozen=True)
class ChartText(Section):
    """The pain chart and its text alternative."""

    heading: str
    title: str
    description: str
    sessions: str
    peaks: str
    lights: str
    during: str
    morning: str
    stage: str
    axis: str


@dataclass(frozen=True)
class CaseloadStates(Section):
    """A patient's state in the caseload, by state (`-` written `_`)."""

    paused: str
    awaiting_review: str
    quiet: str
    on_track: str
    finished: str
    not_started: str


@dataclass(frozen=True)
class CaseloadColumns(Section):
    id: str
    name: str
    site: str
    state: str
    stage: str
    last_checkin: str
    next_session: str
    attention: str
    chart: str


@dataclass(frozen=True)
class CaseloadText(Section):
    """The clinician's caseload (`r2r status`): the terminal table and the private page."""

    title: str
    heading: str
    private: str
    caption: str
    columns: CaseloadColumns
    states: CaseloadStates
    attention: CaseloadStates
    stage: str
    checkin: str
    session: str
    review: str
    overdue: str  # a session or review, as above, that was due before the caseload's day
    none: str
    no_chart: str
    unread: str


@dataclass(frozen=True)
class Strings(Section):
    """Every piece of interface text of one language."""

    date_format: str  # for Babel: a CLDR pattern ("d MMMM y") or width ("long")
    short_date_format: str  # a day in a calendar, likewise ("EEE d MMM")
    nav: Nav
    notice: Notice
    content: ContentLabels
    handout: Handout
    home: Home
    search: Search
    not_found: NotFound
    footer: Footer
    protocol: ProtocolText
    calendar: CalendarText
    plan: PlanText
    email: EmailText
    chart: ChartText
    caseload: CaseloadText
    language: str = ""  # not written in the file: its name gives it (en.yaml: en)


def strings_file(templates_dir: Path, language: str) -> Path:
    """Where the interface text for `language` lives."""
    return templates_dir / "strings" / f"{language}.yaml"


def load_strings(templates_dir: Path, language: str) -> Strings:
    """The interface text for `language`; `ContentError` naming the file and every bad key."""
    path = strings_file(templates_dir, language)
    name = f"templates/strings/{path.name}"
    strings = load_yaml_file(Strings, path, name=name, folder=templates_dir / "strings")
    return dataclasses.replace(strings, language=language)


def check_date_patterns(every: Iterable[Strings]) -> None:
    """`ContentError` naming the file and key of each date pattern Babel cannot use.

    Called where dates are first going to be written (the Jinja environment is made), not
    when the strings load: Babel and its locale data cost a sixth of a rebuild that changes
    nothing, and such a rebuild writes no date.
    """
    problems = [
        Problem(f"templates/strings/{strings.language}.yaml: {key}", message)
        for strings in every
        for key in ("date_format", "short_date_format")
        if (message := _date_pattern_problem(getattr(strings, key), strings.language))
    ]
    if problems:
        raise ContentError(problems)


def _date_pattern_problem(pattern: str, language: str) -> str | None:
    """Why Babel cannot write dates in `language` with `pattern`, if it cannot."""
    from babel.core import Locale, UnknownLocaleError
    from babel.dates import format_date

    try:
        Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return f"Babel has no dates for the language {language!r} of this file"
    try:
        format_date(dt.date(2026, 11, 2), pattern, locale=language.replace("-", "_"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return "is not a date pattern Babel understands, like 'd MMMM y' or 'long'"
    return None
