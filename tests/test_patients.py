"""Patient files: YAML, folders and spreadsheet CSV; every problem named by file, row and field."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from generator.content.injury_sites import load_injury_sites
from generator.content.protocols import load_protocols
from generator.patients.readers import read_patients

from .conftest import REPO

AS_OF = dt.date(2026, 11, 23)
PROTOCOLS = load_protocols(REPO / "content" / "protocols", languages=("en",))
SITES = load_injury_sites(REPO / "content" / "injury-sites.yaml", languages=("en",))

GOOD = """\
id: P1
name: Ana Lima
preferred_name: Ana
email: ana.lima@example.org
injury: {site: posteromedial-tibia, side: left, diagnosed: 2026-09-01}
clearance: {by: Dr Alex Smith, on: 2026-11-18}
plan: {start: 2026-11-24, run_days: [mon, wed, fri], protocol: auto}
clinician: {name: Sam Lee, phone: "+1 555 0100", email: sam@clinic.example}
notes: Free text.
"""

HEADER = (
    "id,name,preferred_name,email,injury_site,injury_side,clearance_by,clearance_on,"
    "plan_start,plan_run_days,plan_protocol,clinician_name,notes"
)


def read(*paths: Path, as_of: dt.date = AS_OF):
    return read_patients(paths, protocols=PROTOCOLS, sites=SITES, as_of=as_of)


def problems(tmp_path: Path, text: str, name: str = "p.yaml", as_of: dt.date = AS_OF) -> list[str]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    [record] = read(path, as_of=as_of)
    assert record.patient is None
    return [str(p) for p in record.problems]


def test_a_good_patient_file_loads(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(GOOD)
    [record] = read(path)
    assert record.ok and record.problems == ()
    patient = record.patient
    assert patient.id == "P1" and patient.greeting_name == "Ana"
    assert patient.plan.run_days == ("mon", "wed", "fri")
    assert patient.clearance.on == dt.date(2026, 11, 18)


def test_every_example_patient_is_valid():
    records = read(REPO / "examples" / "patients")
    assert len(records) == 12
    assert [str(p) for r in records for p in r.problems] == []


def test_missing_unknown_and_malformed_fields_are_all_reported(tmp_path):
    found = problems(
        tmp_path,
        """\
        id: ../x
        nam: Ana
        email: ana@@example
        injury: {site: shin, side: middle, diagnosed: 2026-02-30}
        clearance: {on: 2026-11-18}
        plan: {start: 2026-11-24, run_days: [mon, funday]}
        """,
    )
    assert found == [
        f"{tmp_path}/p.yaml: nam: unknown key (did you mean 'name'?)",
        f"{tmp_path}/p.yaml: id: must be 1 to 64 letters, digits, '-' or '_' (it names the plan's folder)",
        f"{tmp_path}/p.yaml: name: is required but missing",
        f"{tmp_path}/p.yaml: email: is not an email address like name@example.org",
        f"{tmp_path}/p.yaml: injury.site: is not a known injury site (see content/injury-sites.yaml)",
        f"{tmp_path}/p.yaml: injury.side: must be one of: left, right, both",
        f"{tmp_path}/p.yaml: injury.diagnosed: must be a date written YYYY-MM-DD, like 2026-01-31",
        f"{tmp_path}/p.yaml: clearance.by: is required but missing",
        f"{tmp_path}/p.yaml: plan.run_days[2]: must be one of: mon, tue, wed, thu, fri, sat, sun",
    ]


def test_messages_never_repeat_a_patients_values(tmp_path):
    found = problems(
        tmp_path,
        GOOD.replace("ana.lima@example.org", "ana.lima@@example.org").replace(
            "name: Ana Lima", "name: [Ana, Lima]"
        ),
    )
    assert found == [
        f"{tmp_path}/p.yaml: name: must be text, not a list",
        f"{tmp_path}/p.yaml: email: is not an email address like name@example.org",
    ]
    assert not any("ana" in line.lower().split(": ", 1)[1] for line in found)


# Ids that are not safe as a folder name, every field wrong in turn, files that are not
# patient files: tests/hardening/cases/patients.yaml.


def test_every_problem_of_a_record_is_reported_at_once(tmp_path):
    found = problems(
        tmp_path,
        GOOD.replace("posteromedial-tibia", "posteromedial-tibea").replace(
            "protocol: auto", "protocol: fast"
        )
        + textwrap.dedent("""\
        checkins:
          - {date: 2026-11-24, stage: 1, pain_during: 0, pain_next_morning: 11}
          - {date: 2026-11-20, stage: 1, pain_during: 0, pain_next_morning: 0}
        """),
    )
    assert found == [
        f"{tmp_path}/p.yaml: injury.site: is not a known injury site (did you mean 'posteromedial-tibia'?)",
        f"{tmp_path}/p.yaml: plan.protocol: is not 'auto' or a protocol in content/protocols/ (day-by-day, high-risk, low-risk)",
        f"{tmp_path}/p.yaml: checkins[1].date: is after the plan date (--as-of): a session cannot be logged before it happens",
        f"{tmp_path}/p.yaml: checkins[1].pain_next_morning: must be a pain score from 0 to 10",
    ]


def test_checks_that_need_the_protocol(tmp_path):
    found = problems(
        tmp_path,
        GOOD.replace("[mon, wed, fri]", "[mon, tue, thu]")
        + textwrap.dedent("""\
        checkins:
          - {date: 2026-11-24, stage: 13, pain_during: 0, pain_next_morning: 0}
          - {date: 2026-11-24, stage: 1, pain_during: 0, pain_next_morning: 0}
        """),
        as_of=dt.date(2026, 12, 1),
    )
    assert found == [
        f"{tmp_path}/p.yaml: checkins[2]: is out of order: list them oldest first, one per day",
    ]
    found = problems(
        tmp_path,
        GOOD.replace("[mon, wed, fri]", "[mon, tue, thu]")
        + textwrap.dedent("""\
        checkins:
          - {date: 2026-11-24, stage: 13, pain_during: 0, pain_next_morning: 0}
        reviews:
          - {on: 2026-11-26, stage: 14}
        """),
        as_of=dt.date(2026, 12, 1),
    )
    assert found == [
        f"{tmp_path}/p.yaml: plan.run_days: mon and tue leave fewer than 1 rest day(s) between runs, as low-risk requires",
        f"{tmp_path}/p.yaml: checkins[1].stage: is past the protocol's last stage (12)",
        f"{tmp_path}/p.yaml: reviews[1].stage: is past the protocol's last stage (12)",
    ]


def test_dates_that_contradict_each_other(tmp_path):
    found = problems(
        tmp_path,
        GOOD.replace("diagnosed: 2026-09-01", "diagnosed: 2026-11-20").replace(
            "start: 2026-11-24", "start: 2026-11-17"
        )
        + textwrap.dedent("""\
        checkins:
          - {date: 2026-11-16, stage: 1, pain_during: 0, pain_next_morning: 0}
        """),
    )
    assert found == [
        f"{tmp_path}/p.yaml: injury.diagnosed: is after the clearance date (clearance.on)",
        f"{tmp_path}/p.yaml: plan.start: is before the clearance date (clearance.on)",
        f"{tmp_path}/p.yaml: checkins[1].date: is before the plan starts",
    ]


def test_the_run_days_wrap_around_the_week(tmp_path):
    found = problems(tmp_path, GOOD.replace("[mon, wed, fri]", "[mon, wed, fri, sun]"))
    assert found == [
        f"{tmp_path}/p.yaml: plan.run_days: sun and mon leave fewer than 1 rest "
        "day(s) between runs, as low-risk requires"
    ]
    path = tmp_path / "daily.yaml"
    path.write_text(
        GOOD.replace("[mon, wed, fri]", "[mon, tue, wed, thu, fri, sat, sun]").replace(
            "protocol: auto", "protocol: day-by-day"
        )
    )
    assert read(path)[0].ok


def csv_file(tmp_path: Path, text: str, *, bom: bool = False, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + textwrap.dedent(text).encode("utf-8"))
    return path


def test_a_spreadsheet_export_with_a_bom_and_semicolons(tmp_path):
    path = csv_file(
        tmp_path,
        f"""\
        {HEADER.replace(",", ";")}
        P1;Ana Lima;Ana;ana@example.org;fibula;left;Dr Smith;2026-11-18;2026-11-24;"mon;wed;fri";auto;Sam Lee;"Line one
        line two"
        P2;Ben Ode;;;calcaneus;;Dr Smith;2026-11-18;2026-11-25;tue thu sat;;;
        """,
        bom=True,
    )
    first, second = read(path)
    assert first.ok and second.ok, [first.problems, second.problems]
    assert first.patient.notes == "Line one\nline two"
    assert first.patient.plan.run_days == ("mon", "wed", "fri")
    assert second.patient.plan.run_days == ("tue", "thu", "sat")
    assert second.patient.email is None and second.patient.clinician is None


def test_bad_rows_name_the_row_and_the_column_and_good_rows_still_load(tmp_path):
    path = csv_file(
        tmp_path,
        f"""\
        {HEADER}
        P1,Ana Lima,,ana@example.org,fibula,left,Dr Smith,2026-11-18,2026-11-24,mon;wed;fri,auto,,
        P2,Ben Ode,,ben@,knee,,Dr Smith,2026-18-11,2026-11-24,mon;tue,,,
        P3,Cleo Ray,,,fibula,,Dr Smith,2026-11-18,2026-11-24,mon wed fri,,,,extra,cells

        P1,Dup Licate,,,fibula,,Dr Smith,2026-11-18,2026-11-24,mon wed fri,,,
        """,
    )
    records = read(path)
    assert [r.ok for r in records] == [True, False, False, False]
    assert [str(p) for r in records for p in r.problems] == [
        f"{path}: row 3: email: is not an email address like name@example.org",
        f"{path}: row 3: injury_site: is not a known injury site (see content/injury-sites.yaml)",
        f"{path}: row 3: clearance_on: must be a date written YYYY-MM-DD, like 2026-01-31",
        f"{path}: row 4: has 2 more cell(s) than the header has columns",
        f"{path}: row 6: id: is also the id of {path}: row 2 (ids that differ only in capitals name the same folder)",
    ]


# Unknown, missing and nameless columns, a missing header row, ten thousand rows, and the
# fuzzing of every patient loader: tests/hardening/ (cases/patients.yaml, test_fuzz.py).
