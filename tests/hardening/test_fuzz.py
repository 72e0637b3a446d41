"""Property-based fuzzing of every loader and of the schedule.

The contract: any input either loads, or raises one of our own error types with a message.
Anything else (a KeyError, a RecursionError, an OverflowError, a hang) would reach the user
as a traceback, and is a defect. Patient loaders must also never repeat a patient's value in a
message: every generated patient text carries the marker `§`, which no message may contain.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.content.injury_sites import load_injury_sites
from generator.content.markdown_pipeline import MarkdownPipeline
from generator.content.pages import MAX_PAGE_BYTES, MarkupError, PageMeta, PageSource, load_page
from generator.content.protocols import ProtocolSpec, load_protocol, load_protocols
from generator.content.settings import Settings, load_settings
from generator.core.errors import ContentError, Problem, R2RError
from generator.core.project import Project
from generator.core.schema import Invalid, load
from generator.core.yamlio import YamlProblem, parse_yaml
from generator.patients.model import Catalogue, Patient, protocol_problems, resolve_protocol
from generator.patients.readers import read_patients
from generator.patients.schedule import ScheduleProblem, make_schedule

from ..conftest import REPO, SETTINGS
from .catalogue import FORBIDDEN_TAGS, _Content

OUR_ERRORS = (R2RError, Invalid, YamlProblem, MarkupError, ScheduleProblem)
PROTOCOLS = load_protocols(REPO / "content" / "protocols", languages=("en",))
SITES = load_injury_sites(REPO / "content" / "injury-sites.yaml", languages=("en",))
AS_OF = dt.date(2026, 11, 23)
LABELS = {
    "sources": "Sources",
    "backlink": "Back to the text",
    "red-flag": "Red flag",
    "tip": "Tip",
    "note": "Note",
}
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_ours(error: BaseException) -> None:
    """One of our error types, each problem with a message."""
    assert isinstance(error, OUR_ERRORS), f"{type(error).__name__}: {error}"
    problems = getattr(error, "problems", None)
    if problems is not None:
        assert problems and all(isinstance(p, Problem) and p.message for p in problems)
    assert str(error).strip()


# --- generated values ---------------------------------------------------------------------------

MARK = "§"
# A patient's words: anything, often with the characters that end or quote a message's value.
marked_text = st.builds(
    lambda tricky, text: MARK + tricky + text,
    st.sampled_from(["", ")", "a)b@c.example", "(got x)", "'", '"', "\n"]),
    st.text(max_size=10),
)
tokens = st.sampled_from(
    [
        "",
        " ",
        "P1",
        "P-1_a",
        "../x",
        "CON",
        "fibula",
        "navicular",
        "left",
        "both",
        "auto",
        "low-risk",
        "day-by-day",
        "mon",
        "wed",
        "fri",
        "sun",
        "mon;wed;fri",
        "mon wed fri",
        "2026-11-18",
        "2026-11-24",
        "2026-02-30",
        "9999-12-31",
        "0001-01-01",
        "true",
        "yes",
        "no",
        "on",
        "a@b.example",
        "night_pain",
        "en",
        "fr",
        "A4",
        "#0b5f73",
        "https://x.example/",
        "1",
        "-1",
        "0",
        "11",
        "3.5",
        "nan",
        "inf",
        "\n",
        "\r\nBcc: x@y",
        "\x00",
        "🏃",
        "محمد",
    ]
)
dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
near_dates = st.integers(-40, 40).map(lambda n: AS_OF + dt.timedelta(days=n))
last_dates = st.integers(0, 400).map(lambda n: dt.date.max - dt.timedelta(days=n))
any_dates = dates | near_dates | last_dates
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 14)
    | st.integers()
    | st.floats()
    | tokens
    | marked_text
    | any_dates
)
KEYS = [
    "id",
    "name",
    "preferred_name",
    "email",
    "language",
    "injury",
    "site",
    "side",
    "diagnosed",
    "clearance",
    "by",
    "on",
    "plan",
    "start",
    "run_days",
    "protocol",
    "clinician",
    "phone",
    "notes",
    "checkins",
    "date",
    "stage",
    "pain_during",
    "pain_next_morning",
    "red_flags",
    "reviews",
    "title",
    "summary",
    "order",
    "reviewed",
    "sources",
    "handout",
    "stages",
    "rules",
    "run",
    "walk",
    "jog",
    "repeats",
    "segments",
    "recovery",
    "sessions",
    "tier",
    "traffic_light",
    "amber_rest_days",
    "clinic",
    "brand",
    "pdf",
    "plans",
    "topics",
    "primary",
    "base_url",
    "timeout",
    "smtp_port",
    "date_of_birth",
]
keys = st.sampled_from(KEYS) | marked_text
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
    max_leaves=25,
)


sub_record = st.dictionaries(
    st.sampled_from(
        [
            "site",
            "side",
            "diagnosed",
            "by",
            "on",
            "start",
            "run_days",
            "protocol",
            "name",
            "phone",
            "email",
        ]
    )
    | marked_text,
    scalars | st.lists(scalars, max_size=3),
    max_size=4,
)
patient_like = st.fixed_dictionaries(
    {},
    optional={
        field: scalars | sub_record | st.lists(sub_record | scalars, max_size=2)
        for field in [
            "id",
            "name",
            "preferred_name",
            "email",
            "language",
            "injury",
            "clearance",
            "plan",
            "clinician",
            "notes",
            "checkins",
            "reviews",
            "date_of_birth",
        ]
    },
).flatmap(lambda d: st.dictionaries(marked_text, scalars, max_size=1).map(lambda x: {**d, **x}))


def messages(problems: Any) -> str:
    return "\n".join(str(p) for p in problems)


# --- the schema, on every real schema -----------------------------------------------------------


@FUZZ
@given(st.sampled_from([Settings, PageMeta, ProtocolSpec, Patient]), values, st.booleans())
def test_every_schema_loads_or_explains(cls, data, text_values):
    try:
        load(cls, data, text_values=text_values)
    except Invalid as invalid:
        assert_ours(invalid)


@FUZZ
@given(patient_like | values, st.booleans())
def test_patient_messages_never_repeat_a_value(data, text_values):
    catalogue = Catalogue(SITES, PROTOCOLS, AS_OF)
    try:
        patient = load(Patient, data, text_values=text_values, private=True, context=catalogue)
    except Invalid as invalid:
        assert_ours(invalid)
        assert MARK not in messages(invalid.problems)
        return
    problems = protocol_problems(patient, catalogue)
    assert MARK not in messages(problems)


# --- YAML as people write it --------------------------------------------------------------------

yaml_pieces = st.sampled_from(
    [
        "a: 1\n",
        "a:\n  - x\n",
        "- ",
        "  ",
        "[",
        "]",
        "{",
        "}",
        ": ",
        ",",
        "&a ",
        "*a",
        "<<: *a\n",
        "!!python/object:os.system ",
        "!!binary ",
        "!!set ",
        "? ",
        "|\n  x\n",
        ">-\n  y\n",
        "'",
        '"',
        "\\u",
        "\t",
        "#",
        "---\n",
        "...\n",
        "on: yes\n",
        "2026-13-45",
        "1e999",
        "0x",
        "~",
        "\n",
        "\x00",
        "\ufeff",
        "%YAML 1.2\n",
        "!<tag:x> ",
    ]
)


@FUZZ
@given(st.lists(yaml_pieces | st.text(max_size=6), max_size=30).map("".join))
def test_yaml_parses_or_explains(text):
    try:
        parse_yaml(text)
    except YamlProblem as problem:
        assert_ours(problem)


# --- content pages ------------------------------------------------------------------------------

hostile = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>j</a>",
        "[j](javascript:alert(1))",
        '<a href="data:text/html,<b>x</b>">d</a>',
        "<iframe src=x>",
        "<form><input name=p></form>",
        "<style>@import 'http://x.example/a.css'</style>",
        '<p style="background:url(http://x.example/t.png)">s</p>',
        "<link rel=attachment href=x>",
        "<a rel=attachment href=../site.toml>a</a>",
        "<svg onload=alert(1)>",
        "<object data=x>",
        '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
        "<base href=//x.example>",
        '<a href="jav&#x09;ascript:alert(1)">t</a>',
        "<a href=' javascript:alert(1)'>s</a>",
        "<details open ontoggle=alert(1)>",
        "<!-- <script>alert(1)</script> -->",
        "<![CDATA[x]]>",
        '<noscript><p title="</noscript><script>alert(1)</script>"></noscript>',
        '<a href="#x" onclick="alert(1)">c</a>',
        "<meta http-equiv=refresh content=0>",
    ]
)
markdown = st.sampled_from(
    [
        "## Heading\n",
        "# Top\n",
        "Text with 'quotes' -- and... more.\n",
        "- item\n",
        "  - nested\n",
        "1. one\n",
        "> quote\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
        "!!! tip\n    Tip.\n",
        "!!! warning\n    x\n",
        "[^1]",
        "[^9]",
        "[^a]: note\n",
        "[[protocol:low-risk]]\n",
        "[[protocol:missing]]\n",
        "[[table:x]]\n",
        "[x](other.md#a)",
        "[x](file:///etc/passwd)",
        "![p](images/x.png)",
        "![p](https://x.example/p.png)",
        "`code <script>`",
        "    indented\n",
        "\n",
        "* * * * * * * * * * * * ",
        "**",
        "_",
        "<div>",
        "</div>",
        "\x00",
        "\ufffd",
        "é",
        "* " * 1500 + "x\n",
        "> " * 300 + "x\n",
    ]
)
front_matter = st.sampled_from(
    [
        "title: T\n",
        "title: T\nsources: [One, Two]\n",
        "title: [x\n",
        "titel: T\n",
        "- x\n",
        "title: T\nreviewed: 2026-02-30\n",
        "title: T\norder: x\n",
        "",
        "title: &a x\nsummary: *a\n",
        "title: !!binary aGk=\n",
        'title: "a\\nb"\n',
        "title: T\nhandout: maybe\n",
    ]
)


@st.composite
def page_bytes(draw) -> bytes:
    body = "".join(draw(st.lists(markdown | hostile | st.text(max_size=8), max_size=25)))
    text = draw(
        st.sampled_from(
            ["---\n{fm}---\n{body}", "{body}", "---\n{fm}{body}", "\ufeff---\n{fm}...\n{body}"]
        )
    )
    raw = text.format(fm=draw(front_matter), body=body).encode()
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=8))
    return raw


@pytest.fixture(scope="module")
def content_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz") / "content"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "x.png").write_bytes(b"\x89PNG")
    return folder


@FUZZ
@given(page_bytes(), st.sampled_from(["page", "Page", "index", "..", "a.b", "ok-name"]))
def test_pages_load_or_explain_and_publish_nothing_active(content_dir, raw, stem):
    pipeline = MarkdownPipeline(content_dir, LABELS)
    source = PageSource(content_dir / f"{stem}.md", f"content/{stem}.md", raw)
    try:
        page = load_page(source, pipeline)
    except ContentError as error:
        assert_ours(error)
        return
    parser = _Content()
    parser.feed(f'<div class="content">{page.body.html}</div>')
    for tag, attrs in parser.elements:
        assert tag not in FORBIDDEN_TAGS, page.body.html
        assert not any(name.startswith("on") or name in ("style", "rel") for name in attrs)
        for name in ("href", "src"):
            value = (attrs.get(name) or "").lower().replace("\t", "").strip()
            assert not value.startswith(("javascript:", "data:text", "vbscript:", "file:"))


# --- settings files -----------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int | dt.date):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return (
        '"'
        + str(value)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\x00", "\\u0000")
        + '"'
    )


toml_scalars = (
    st.booleans()
    | st.integers(-2, 70000)
    | st.floats()
    | tokens
    | marked_text
    | dates
    | st.lists(tokens, max_size=3)
)


@st.composite
def settings_text(draw) -> str:
    lines = SETTINGS.splitlines()
    for _ in range(draw(st.integers(0, 6))):
        index = draw(st.integers(0, len(lines)))
        action = draw(st.sampled_from(["set", "delete", "table", "junk"]))
        if action == "set":
            key = draw(
                st.sampled_from(
                    [
                        "name",
                        "phone",
                        "email",
                        "logo",
                        "website",
                        "title",
                        "base_url",
                        "language",
                        "page_size",
                        "topics",
                        "primary",
                        "accent",
                        "sender",
                        "subject",
                        "smtp_port",
                        "timeout",
                        "ca_file",
                        "smtp_host",
                        "colour",
                    ]
                )
            )
            lines.insert(index, f"{key} = {toml_value(draw(toml_scalars))}")
        elif action == "delete" and index < len(lines):
            del lines[index]
        elif action == "table":
            lines.insert(
                index,
                draw(
                    st.sampled_from(
                        [
                            "[email]",
                            "[brand]",
                            "[site]",
                            "[x]",
                            "[[clinic]]",
                            "[clinic.x]",
                            "deep = " + "[" * 3000,
                        ]
                    )
                ),
            )
        else:
            lines.insert(index, draw(st.text(max_size=10)))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def settings_project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("fuzz-settings")
    shutil.copytree(REPO / "templates", root / "templates")
    return Project.at(root)


@FUZZ
@given(settings_text())
def test_settings_load_or_explain(settings_project, text):
    settings_project.settings_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_settings(settings_project)
    except R2RError as error:
        assert_ours(error)


# --- protocol files -----------------------------------------------------------------------------

stage = st.fixed_dictionaries(
    {},
    optional={
        "run": st.floats() | st.integers(-1, 700),
        "walk": st.floats(0, 10) | tokens,
        "jog": st.integers(0, 5),
        "repeats": st.integers(-1, 40),
        "sessions": st.integers(-1, 40),
        "recovery": st.booleans(),
        "gate": tokens,
        "segments": st.lists(
            st.dictionaries(
                st.sampled_from(["walk", "jog", "run", "sprint"]), st.integers(-1, 30), max_size=2
            ),
            max_size=3,
        ),
    },
)
rules = st.fixed_dictionaries(
    {},
    optional={
        "sessions_per_stage": st.integers(-1, 40),
        "rest_days_between_runs": st.integers(-1, 40),
        "missed_days": st.integers(-1, 400) | st.integers(),
        "days_per_stage_dropped": st.integers(),
        "traffic_light": st.fixed_dictionaries(
            {},
            optional={
                "amber_pain_up_to": st.integers(-1, 11),
                "red_pain_from": st.integers(-1, 12),
                "amber_rest_days": st.lists(st.integers(-1, 40), max_size=3),
            },
        ),
    },
)
protocol_data = st.fixed_dictionaries(
    {},
    optional={
        "title": tokens | st.integers(),
        "tier": st.sampled_from(["low", "high", "mid"]),
        "rules": rules | scalars,
        "stages": st.lists(stage, max_size=8) | scalars,
    },
)


@pytest.fixture(scope="module")
def protocol_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-protocols") / "fuzzed.yaml"


@FUZZ
@given(protocol_data | values, st.sampled_from(["", "&s ", "\x00", "[", "{{"]))
def test_protocols_load_or_explain_and_schedule(protocol_file, data, suffix):
    protocol_file.write_text(yaml.safe_dump(data, allow_unicode=True) + suffix, encoding="utf-8")
    try:
        protocol = load_protocol(protocol_file, "content/protocols/fuzzed.yaml", ("en",))
    except ContentError as error:
        assert_ours(error)
        return
    patient = _valid_patient()
    try:
        make_schedule(patient, protocol, AS_OF)
    except ScheduleProblem as problem:
        assert_ours(problem)


def _valid_patient() -> Patient:
    data = {
        "id": "P1",
        "name": "Ana",
        "injury": {"site": "fibula"},
        "clearance": {"by": "Dr X", "on": AS_OF},
        "plan": {"start": AS_OF, "run_days": ["mon"]},
    }
    return load(Patient, data)


# --- patient files, YAML and CSV ----------------------------------------------------------------

COLUMNS = [
    "id",
    "name",
    "email",
    "injury_site",
    "injury_side",
    "clearance_by",
    "clearance_on",
    "plan_start",
    "plan_run_days",
    "plan_protocol",
    "notes",
    "colour",
    "",
    "§x",
]
cells = (
    tokens
    | marked_text
    | st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6).map(
        lambda t: MARK + t
    )
)


@st.composite
def csv_text(draw) -> str:
    columns = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=9))
    separator = draw(st.sampled_from([",", ";", "\t"]))
    rows = [columns, *draw(st.lists(st.lists(cells, max_size=len(columns) + 2), max_size=4))]
    quote = draw(st.sampled_from(['"', ""]))
    text = "\n".join(separator.join(f"{quote}{c}{quote}" for c in row) for row in rows)
    return draw(st.sampled_from(["", "\ufeff"])) + text + draw(st.sampled_from(["", "\n", '"']))


@pytest.fixture(scope="module")
def patients_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-patients")


@FUZZ
@given(
    patient_like | values,
    csv_text(),
    st.sampled_from(["", "\x00", "\n---\nid: P2\n", "&a [*a]", "\nloop: &a [*a]\n"]),
)
def test_patient_files_load_or_explain_without_repeating_values(patients_dir, data, csv, tail):
    yaml_file, csv_file = patients_dir / "p.yaml", patients_dir / "p.csv"
    yaml_file.write_text(yaml.safe_dump(data, allow_unicode=True) + tail, encoding="utf-8")
    csv_file.write_text(csv, encoding="utf-8")
    records = read_patients([yaml_file, csv_file], protocols=PROTOCOLS, sites=SITES, as_of=AS_OF)
    assert records
    for record in records:
        assert record.ok or record.problems
        assert all(p.message for p in record.problems)
        assert MARK not in messages(record.problems), messages(record.problems)


# --- the schedule, on every valid patient -------------------------------------------------------


@st.composite
def patient_data(draw) -> dict[str, Any]:
    start = draw(any_dates)
    clearance = start - dt.timedelta(days=draw(st.integers(0, 3))) if start.year > 1 else start
    checkins = []
    day = start
    for _ in range(draw(st.integers(0, 6))):
        try:
            day += dt.timedelta(days=draw(st.integers(1, 9)))
        except OverflowError:
            break
        checkins.append(
            {
                "date": day,
                "stage": draw(st.integers(1, 13)),
                "pain_during": draw(st.integers(0, 10)),
                "pain_next_morning": draw(st.sampled_from([0, 0, 0, 1, 5])),
                "red_flags": draw(
                    st.lists(st.sampled_from(["limp", "night_pain"]), max_size=1, unique=True)
                ),
            }
        )
    reviews = [
        {"on": c["date"], "stage": draw(st.integers(1, 13))}
        for c in checkins
        if draw(st.booleans()) and draw(st.booleans())
    ]
    days = draw(
        st.lists(
            st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
            min_size=1,
            max_size=7,
            unique=True,
        )
    )
    return {
        "id": "P1",
        "name": "Ana",
        "injury": {"site": draw(st.sampled_from(sorted(SITES)))},
        "clearance": {"by": "Dr X", "on": clearance, "imaging": {"method": "mri", "on": clearance}},
        "plan": {
            "start": start,
            "run_days": days,
            "protocol": draw(st.sampled_from(["auto", *PROTOCOLS])),
            "protocol_reason": "Chosen on purpose.",
        },
        "checkins": checkins,
        "reviews": reviews,
    }


@FUZZ
@given(patient_data(), any_dates)
def test_every_valid_patient_gets_a_schedule_or_an_explanation(data, as_of):
    catalogue = Catalogue(SITES, PROTOCOLS, as_of)
    try:
        patient = load(Patient, data, context=catalogue)
    except Invalid:
        assume(False)
    problems = protocol_problems(patient, catalogue)
    assume(not problems)
    protocol = resolve_protocol(patient, PROTOCOLS, SITES)
    assert protocol is not None
    try:
        schedule = make_schedule(patient, protocol)
    except ScheduleProblem as problem:
        assert_ours(problem)
        return
    planned = [p.date for p in schedule.planned]
    assert planned == sorted(planned)
    assert all(b > a for a, b in itertools.pairwise(planned))


# --- content that converts in time growing with the square of its length -------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "[" * 250_000,
            "leaves more than 40 '[' open in one paragraph; close each with ']', "
            "or write \\[ for a bracket that is only text",
        ),
        (
            "## a\n" * 50_000,
            "has too many headings or rules without a blank line between them to convert; "
            "put a blank line after each heading",
        ),
        (
            "* " * 1500 + "x\n",
            "nests lists, quotes or other blocks too deeply to convert; flatten them",
        ),
    ],
)
def test_a_page_that_would_convert_in_hours_is_refused_before_conversion(
    content_dir, body, message
):
    # Python-Markdown scans each open `[` to the end of its paragraph, rereads a block once
    # for every heading split off its front, and reads nested blocks recursively. How long
    # such pages take is measured by bench/run.py (`--only pathological`).
    raw = ("---\ntitle: Slow\nsources: [One]\n---\n" + body).encode()
    with pytest.raises(ContentError) as caught:
        load_page(
            PageSource(content_dir / "slow.md", "content/slow.md", raw),
            MarkdownPipeline(content_dir, LABELS),
        )
    assert [str(p) for p in caught.value.problems] == [f"content/slow.md: {message}"]


@pytest.mark.slow
def test_thousands_of_headings_and_citations_get_every_anchor_and_backlink(content_dir):
    # What our extensions do per page (anchors made unique, citations numbered in reading
    # order, each linked back) at a scale no real page reaches.
    body = "## a\n\n" * 5000 + "Cited[^1].\n\n" * 5000
    raw = ("---\ntitle: Many\nsources: [One]\n---\n" + body).encode()
    page = load_page(
        PageSource(content_dir / "many.md", "content/many.md", raw),
        MarkdownPipeline(content_dir, LABELS),
    )
    anchors = [h.id for h in page.body.headings]
    assert anchors == ["a", *(f"a_{n}" for n in range(1, 5000)), "sources"]
    references = ["fnref:1", *(f"fnref{n}:1" for n in range(2, 5001))]
    assert page.body.anchors >= {*anchors, *references, "fn:1"}
    assert page.body.html.count('class="footnote-backref"') == 5000
    assert f'href="#{references[-1]}"' in page.body.html


def test_callouts_nested_beyond_the_recursion_limit_are_an_error(content_dir):
    # Callouts are read recursively; with tabs, 1 MB holds about 1400 levels.
    body = "".join("\t" * level + "!!! note\n" for level in range(1200)) + "\t" * 1200 + "x\n"
    raw = ("---\ntitle: Deep\n---\n" + body).encode()
    assert len(raw) < MAX_PAGE_BYTES
    with pytest.raises(ContentError) as caught:
        load_page(
            PageSource(content_dir / "deep.md", "content/deep.md", raw),
            MarkdownPipeline(content_dir, LABELS),
        )
    assert [str(p) for p in caught.value.problems] == [
        "content/deep.md: nests lists, quotes or other blocks too deeply to convert; flatten them"
    ]


def test_a_page_that_converts_too_long_is_stopped(content_dir, monkeypatch):
    import generator.content.pages

    def forever(self, text, *, sources=()):
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(generator.content.pages, "MAX_SECONDS_PER_PAGE", 1)
    monkeypatch.setattr(MarkdownPipeline, "render", forever)
    started = time.monotonic()
    with pytest.raises(ContentError) as caught:
        load_page(
            PageSource(
                content_dir / "slow.md", "content/slow.md", b"---\ntitle: Slow\n---\nText.\n"
            ),
            MarkdownPipeline(content_dir, LABELS),
        )
    assert time.monotonic() - started < 10
    assert [str(p) for p in caught.value.problems] == [
        "content/slow.md: takes more than 1 seconds to convert; split it up or simplify its markup"
    ]
