"""`r2r plans`: personalised plans, a PDF and a calendar file per patient, in `plans/<id>/`.

Private health information: the plans folder is owner-only, nothing of a patient is written
under the public site, and messages name a patient by file, row, field or id only.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

import jinja2
import segno

from generator.content.injury_sites import InjurySite
from generator.content.library import Edition, Library, load_library
from generator.content.protocols import Stage
from generator.content.strings import Strings
from generator.core.batch import BatchReport, Reporter
from generator.core.errors import OutputError, Problem, RecordError
from generator.core.project import Project
from generator.outputs.calendar import CalendarState, calendar_file, issue, plan_events
from generator.outputs.documents import Document, pdf_config, render_documents, stale_documents
from generator.outputs.fingerprints import Digests
from generator.outputs.pain_chart import pain_chart
from generator.outputs.plan_state import STATE_FILE, PlanState, read_state
from generator.outputs.printing import print_file_name, write_printer_pdf
from generator.outputs.state import OutputTree, fingerprint
from generator.patients.model import Patient, resolve_protocol
from generator.patients.readers import PatientRecord, read_patients
from generator.patients.schedule import Light, Schedule, ScheduleProblem, make_schedule
from generator.render.environment import make_environment, render
from generator.render.fonts import printable, unprintable_fields

PLAN_PDF, PLAN_ICS = "plan.pdf", "plan.ics"


@dataclass(frozen=True)
class PlanDay:
    """One line of the plan's calendar: a logged session or a planned day."""

    date: dt.date
    kind: Literal["logged", "session", "recovery", "review"]
    stage: Stage
    light: Light | None = None
    counted: bool = True  # a logged session: whether it counted toward moving up
    due: bool = False  # a planned day before the plan date: not logged yet
    moved_from: dt.date | None = None  # a review moved off a clinic holiday


@dataclass(frozen=True)
class Week:
    """The plan's days in one week, Monday to Sunday."""

    start: dt.date
    days: tuple[PlanDay, ...]


@dataclass(frozen=True)
class TopicLink:
    """A topic summarised on the plan, with a QR code to its page on the website."""

    title: str
    summary: str
    url: str
    qr: str  # a data: URI of an SVG picture


@dataclass(frozen=True)
class Draft:
    """A valid patient's plan: who, from where, and the schedule it shows."""

    patient: Patient
    source: str
    schedule: Schedule
    strings: Strings  # the interface text in the patient's language
    digest: str  # of the patient record's data


@dataclass
class PlansReport:
    """What `r2r plans` did: the records that failed, by source, and the plans made."""

    refused: dict[str, list[Problem]] = field(default_factory=dict)  # source: its problems
    drafts: list[Draft] = field(default_factory=list)
    versions: dict[str, PlanState] = field(default_factory=dict)  # by patient id
    batch: BatchReport = field(default_factory=BatchReport)
    where: Path | None = None  # the folder of the plans
    printed: Path | None = None  # the batch's file for the printer (--print)

    @property
    def exit_code(self) -> int:
        return 1 if self.refused or self.batch.failed else 0

    def refuse(self, source: str, problems: Iterable[Problem]) -> None:
        """Record a patient whose plan cannot be made, with every problem found."""
        self.refused.setdefault(source, []).extend(problems)

    def summary(self) -> list[str]:
        """An error line per problem, then the patients whose plans were made and failed."""
        lines = [f"error: {p}" for problems in self.refused.values() for p in problems]
        lines += [f"error: {problem}" for problem in self.batch.problems]
        failed = len(self.refused) + len(self.batch.failed)
        made = len(self.drafts) - len(self.batch.failed)
        rendered = len(self.batch.succeeded)
        lines.append(
            f"plans: {made} made ({rendered} rendered, {made - rendered} unchanged), "
            f"{failed} failed"
        )
        if self.where is not None and made:
            lines.append(f"plans are in {self.where} (private: one folder per patient id)")
        if self.printed is not None:
            lines.append(
                f"to print: {self.printed} ({made} plan(s), each starting on a right-hand page)"
            )
        return lines

    def made(self) -> list[str]:
        """The ids of the patients whose plans are written, in the order they were given."""
        failed = {done.name for done in self.batch.failed}
        return [
            draft.patient.id
            for draft in self.drafts
            if not any(name.startswith(f"{draft.patient.id}/") for name in failed)
        ]


def weeks_of(schedule: Schedule, as_of: dt.date | None) -> list[Week]:
    """The logged and planned days of `schedule`, grouped by week; planned days before
    `as_of` are marked as not logged yet (without a date, none are)."""
    days = [
        PlanDay(item.date, "logged", item.stage, item.light, counted=item.counted)
        for item in schedule.logged
    ]
    days += [
        PlanDay(
            item.date,
            item.kind,
            item.stage,
            due=as_of is not None and item.date < as_of,
            moved_from=item.moved_from,
        )
        for item in schedule.planned
    ]
    weeks: dict[dt.date, list[PlanDay]] = {}
    for day in sorted(days, key=lambda d: d.date):
        weeks.setdefault(day.date - dt.timedelta(days=day.date.weekday()), []).append(day)
    return [Week(start, tuple(items)) for start, items in weeks.items()]


def topic_links(library: Library, language: str | None = None) -> list[TopicLink]:
    """The topics `site.toml` puts on every plan, with their QR codes, in `language` (default:
    the site's): each links to its page in that language's site. A topic not translated into
    it is left out rather than shown in another language."""
    edition = _edition(library, language or library.settings.site.language)
    links = []
    for slug in library.settings.plans.topics:
        page = edition.page(slug)
        if page is not None:
            url = library.settings.site.base_url + edition.folder + page.url
            links.append(TopicLink(page.title, page.meta.summary, url, qr_data_uri(url)))
    return links


def _edition(library: Library, language: str) -> Edition:
    """The site in `language`, one of the site's languages."""
    return next(e for e in library.editions if e.language == language)


def qr_data_uri(url: str) -> str:
    """A QR code for `url` as a PNG `data:` URI of one pixel a module: nothing to fetch, and
    crisp when printed, because the stylesheet scales it up without smoothing. (WeasyPrint
    parsed and drew the SVG path of each code again in every plan, about a tenth of a plan's
    time for its three codes; a small PNG is only placed.)"""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=1, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def schedule_for(record: PatientRecord, library: Library) -> Schedule:
    """The schedule of a valid record; `RecordError` naming the record if it cannot be made.

    Clinic reviews are moved off the holidays `site.toml` lists."""
    patient = record.patient
    sites = library.injury_sites
    protocol = resolve_protocol(patient, library.protocols, sites) if patient else None
    if patient is None or protocol is None:
        raise RecordError([Problem(record.source, "is not a valid patient record")])
    _check_language(patient, record.source, library)
    _check_fonts(patient, record.source, library)
    protocol = protocol.in_language(_language(patient, library))
    try:
        return make_schedule(patient, protocol, holidays=frozenset(library.settings.plans.holidays))
    except ScheduleProblem as problem:
        raise RecordError([Problem(f"{record.source}: {problem.where}", problem.message)]) from None


def draft_plan(record: PatientRecord, library: Library) -> Draft:
    """The schedule of one valid record, in its language; `RecordError` if it cannot be made."""
    schedule = schedule_for(record, library)
    patient = record.patient
    assert patient is not None  # schedule_for refuses a record without one
    strings = _strings_for(patient, record.source, library)
    return Draft(patient, record.source, schedule, strings, record.digest)


def plan_html(
    draft: Draft,
    library: Library,
    env: jinja2.Environment,
    topics: Sequence[TopicLink],
    as_of: dt.date | None,
    version: str | None = None,
) -> str:
    """The HTML of a plan's PDF as made on `as_of`. Without a date, what the plan says
    whatever day it is printed: its identity (see `make_plans`). With its `version`, the PDF
    carries it, the patient's id and each log row's stage, for `r2r checkins import`."""
    patient, schedule = draft.patient, draft.schedule
    return render(
        env,
        "pdf/plan.html",
        patient=patient,
        schedule=schedule,
        as_of=as_of,
        version=version,
        weeks=weeks_of(schedule, as_of),
        chart=pain_chart(schedule),
        site=_site(draft, library),
        protocol=schedule.protocol,
        topics=topics,
        t=draft.strings,
        logo_src=library.settings.logo_path(library.project).as_uri(),
    )


def _language(patient: Patient, library: Library) -> str:
    """The language of the patient's plan (checked by `_check_language`)."""
    return patient.language or library.settings.site.language


def _site(draft: Draft, library: Library) -> InjurySite:
    """The patient's injury site, named in the plan's language."""
    return library.injury_sites[draft.patient.injury.site].in_language(draft.strings.language)


def _strings_for(patient: Patient, source: str, library: Library) -> Strings:
    _check_language(patient, source, library)
    return _edition(library, _language(patient, library)).strings


def _check_fonts(patient: Patient, source: str, library: Library) -> None:
    """Every text of the patient must print: a character no font covers would be a box."""
    covered = printable(library.project.static_dir / "fonts")
    if covered is None:
        return
    message = (
        "has a character that none of the fonts installed for the PDFs can print (it would "
        "print as a box); write it otherwise, or install a font that covers it"
    )
    fields = unprintable_fields(patient, covered)
    problems = [Problem(f"{source}: {field}", message) for field in fields]
    if problems:
        raise RecordError(problems)


def _check_language(patient: Patient, source: str, library: Library) -> None:
    """A plan is made in the patient's language, which must be one of the site's (so that
    `r2r check` finds what `r2r plans` would refuse). The message lists the site's languages,
    never the patient's value."""
    languages = library.settings.site.languages
    if patient.language is None or patient.language in languages:
        return
    raise RecordError(
        [
            Problem(
                f"{source}: language",
                f"is not one of the site's languages (site.toml [site] languages: "
                f"{', '.join(languages)})",
            )
        ]
    )


def _version(
    draft: Draft,
    inputs: str,
    library: Library,
    env: jinja2.Environment,
    topics: Sequence[TopicLink],
    tree: OutputTree,
) -> PlanState:
    """The plan's version, with its calendar written beside it: the one kept when nothing it
    is made from changed, else a new one that moves and cancels what the last one issued."""
    folder = draft.patient.id
    ics, kept = f"{folder}/{PLAN_ICS}", f"{folder}/{STATE_FILE}"
    previous = read_state(tree.root / kept)
    unchanged = previous is not None and previous.inputs == inputs
    if previous and unchanged and tree.current(ics, inputs) and tree.current(kept, inputs):
        return previous
    settings = library.settings
    events = plan_events(
        draft.patient, draft.schedule, _site(draft, library), settings, draft.strings
    )
    seen = [plan_html(draft, library, env, topics, None), *(e.digest for e in events)]
    version = fingerprint(*seen)
    last = previous.calendar if previous else CalendarState()
    floor = len(draft.patient.checkins) + len(draft.patient.reviews)
    calendar, changes = issue(events, last, floor)
    if previous and previous.version == version:  # what made it changed, not what it says
        state = PlanState(inputs, version, previous.calendar, previous.changes)
    else:
        state = PlanState(inputs, version, calendar, tuple(changes))
    tree.write(
        ics, calendar_file(draft.patient, events, state.calendar, settings, draft.strings), inputs
    )
    tree.write(kept, state.to_bytes(), inputs)
    return state


def plans_tree(project: Project) -> OutputTree:
    """The private output tree of the plans."""
    return OutputTree(project.plans_dir, project.state_dir / "plans.json", private=True)


def build_plans(
    project: Project,
    paths: Iterable[Path],
    *,
    as_of: dt.date,
    jobs: int | None = None,
    reporter: Reporter | None = None,
    print_batch: bool = False,
) -> PlansReport:
    """Load the project's library, then `make_plans` (see there) for the patients in `paths`.

    With `print_batch`, also write one PDF for the printer holding every plan made, each
    starting on a right-hand page (see `generator.outputs.printing`)."""
    library = load_library(project)
    report = make_plans(
        library, make_environment(library), paths, as_of=as_of, jobs=jobs, reporter=reporter
    )
    made = report.made()
    if print_batch and made:
        folder = project.plans_dir
        report.printed = write_printer_pdf(
            [folder / patient_id / PLAN_PDF for patient_id in made],
            folder / print_file_name(as_of),
            root=folder,
        )
    return report


def make_plans(
    library: Library,
    env: jinja2.Environment,
    paths: Iterable[Path],
    *,
    as_of: dt.date,
    jobs: int | None = None,
    reporter: Reporter | None = None,
) -> PlansReport:
    """Make the plan of every valid patient in `paths`; report the others, one line each.

    Settings, content and template errors raise before anything is written (exit 2). A bad
    record, or a plan that fails to render, is reported and the other plans are still
    written. A plan whose record, date and project are unchanged is not made again; the
    others are rendered one by one as workers become free, so memory stays flat.
    """
    project = library.project
    report = PlansReport(where=project.plans_dir)
    records = read_patients(
        paths, protocols=library.protocols, sites=library.injury_sites, as_of=as_of
    )
    for record in records:
        if not record.ok:
            report.refuse(record.source, record.problems)
            continue
        try:
            report.drafts.append(draft_plan(record, library))
        except RecordError as error:
            report.refuse(record.source, error.problems)
    digests = Digests.of(library)
    topics = {e.language: topic_links(library, e.language) for e in library.editions}
    tree = plans_tree(project)
    documents = []
    for draft in list(report.drafts):
        inputs = fingerprint(digests.project, digests.pictures, digests.listing, draft.digest)
        try:
            links = topics[draft.strings.language]
            state = _version(draft, inputs, library, env, links, tree)
        except OutputError as error:  # its folder is a link: that patient fails alone
            report.refuse(draft.source, error.problems)
            report.drafts.remove(draft)
            continue
        report.versions[draft.patient.id] = state
        documents.append(
            Document(
                f"{draft.patient.id}/{PLAN_PDF}",
                draft.patient.id,
                fingerprint(inputs, as_of.isoformat(), state.version),
                partial(plan_html, draft, library, env, links, as_of, state.version),
                language=draft.strings.language,
            )
        )
    stale = stale_documents(documents, tree)
    if stale:  # a template error must stop the run before any plan is written
        stale[0] = stale[0].prepared()
    config = pdf_config(library, env)
    report.batch = render_documents(
        stale,
        tree,
        config,
        base_url=library.settings.site.base_url,
        label="plans",
        jobs=jobs,
        reporter=reporter,
    )
    tree.finish(prune=False)
    return report
