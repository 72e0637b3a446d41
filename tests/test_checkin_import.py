"""`r2r checkins import`: a plan's log filled in as a phone app does, read back into the patient
file with its comments kept; each bad input named by PDF, row and field, nothing half written."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
import yaml

from generator.content.library import load_library
from generator.outputs.plans import schedule_for
from generator.patients.readers import read_patients

from .conftest import REPO, Scratch, make_scratch

pytestmark = pytest.mark.slow

MADE_ON = "2026-11-02"
IMPORTED_ON = dt.date(2026, 11, 20)

PATIENT = """\
# A commented patient file: the import must keep every comment.
id: {id}
name: Test Patient   # the full name
injury: {{site: fibula, side: left}}
clearance: {{by: Dr X, on: 2026-11-01}}
plan:
  start: 2026-11-03
  run_days: [tue, thu, sat]   # three runs a week
# Sessions the patient has done, oldest first.
checkins:
"""
# The plan of PATIENT, stage of each session as the form lists them: two at stage 1, then 2.
SESSIONS = {"2026-11-03": 1, "2026-11-05": 1, "2026-11-07": 2, "2026-11-10": 2}
TWO_GREENS_AN_AMBER = {
    "2026-11-03": {"pain_during": "0", "pain_next_morning": "0"},
    "2026-11-05": {"pain_during": "0", "pain_evening": "0", "pain_next_morning": "0"},
    "2026-11-07": {
        "pain_during": "2",
        "pain_next_morning": "1",
        "soreness": "/on",
        "note": "Sore shin\nafter the hill",
    },
}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A project with two patients and their plans, made once for this module."""
    scratch = make_scratch(tmp_path_factory.mktemp("made") / "project")
    for name in ("P7", "P8"):
        scratch.write(f"patients/{name}.yaml", PATIENT.format(id=name).replace("checkins:\n", ""))
    result = scratch.cli("plans", str(scratch.root / "patients"), "--as-of", MADE_ON, "-j", "1")
    assert result.exit_code == 0, result.output
    return scratch


@pytest.fixture
def clinic(made, tmp_path):
    """A fresh copy of the patient files and the plans, for one test to import into."""
    folder = tmp_path / "patients"
    shutil.copytree(made.root / "patients", folder)
    return made, folder


def plan_of(made: Scratch, patient_id: str) -> Path:
    return made.root / "output" / "plans" / patient_id / "plan.pdf"


def fill(plan: Path, target: Path, rows: dict[str, dict[str, str]]) -> Path:
    """Fill the plan's log as a phone's PDF app does: set the fields' values, save a copy."""
    writer = pypdf.PdfWriter(clone_from=plan)
    values = {
        f"log.{day}.{name}": value for day, row in rows.items() for name, value in row.items()
    }
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    writer.write(target)
    return target


def run_import(made: Scratch, folder: Path, *pdfs: Path, dry_run: bool = False):
    from generator.patients.checkin_import import ImportContext, import_checkins

    library = load_library(made.project)
    context = ImportContext(library.protocols, library.injury_sites, frozenset(), IMPORTED_ON)
    return import_checkins(pdfs, folder, context, dry_run=dry_run)


def checkins_of(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text())["checkins"]


def test_the_form_has_a_row_of_fields_per_planned_session(made):
    reader = pypdf.PdfReader(plan_of(made, "P7"))
    fields = reader.get_fields()
    library = load_library(made.project)
    [record] = read_patients(
        [made.root / "patients" / "P7.yaml"],
        protocols=library.protocols,
        sites=library.injury_sites,
        as_of=dt.date.fromisoformat(MADE_ON),
    )
    sessions = schedule_for(record, library).sessions
    names = ("pain_during", "pain_evening", "pain_next_morning", "soreness", "red_flag", "note")
    expected = {f"log.{s.date.isoformat()}.{name}" for s in sessions for name in names}
    assert set(fields) == expected
    assert fields["log.2026-11-03.soreness"]["/FT"] == "/Btn"
    assert fields["log.2026-11-03.note"]["/FT"] == "/Tx"
    info = reader.metadata
    assert info["/r2rpatient"] == "P7"
    assert info["/r2rsessions"].split()[:4] == [f"{d}:{s}" for d, s in SESSIONS.items()]
    # Still a tagged PDF (PDF/UA), its fields tagged as form fields; the text still reads.
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject
    assert "/Form" in str(tagged_kinds(root["/StructTreeRoot"]))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Your symptom log" in text and "email the saved file back" in " ".join(text.split())


def tagged_kinds(node, kinds=None) -> set[str]:
    kinds = set() if kinds is None else kinds
    node = node.get_object()
    if "/S" in node:
        kinds.add(str(node["/S"]))
    children = node.get("/K", [])
    for child in children if isinstance(children, list) else [children]:
        child = child.get_object() if hasattr(child, "get_object") else child
        if isinstance(child, dict):
            tagged_kinds(child, kinds)
    return kinds


def test_two_greens_then_an_amber_are_imported_and_the_plan_steps_back(clinic, tmp_path):
    made, folder = clinic
    path = folder / "P7.yaml"
    path.write_text(PATIENT.format(id="P7").replace("checkins:\n", "checkins: []\n"))
    before = path.read_text()
    filled = fill(plan_of(made, "P7"), tmp_path / "filled.pdf", TWO_GREENS_AN_AMBER)

    result = made.cli("checkins", "import", str(filled), "--patients", str(folder))
    # The CLI imports as of today: the sessions of November 2026 are past by now.
    assert result.exit_code == 0, result.output
    assert (
        f"P7 ({filled}): added 3 check-ins (3 Nov green, 5 Nov green, 7 Nov amber); "
        "amber on 7 Nov: back to stage 1"
    ) in result.output
    assert checkins_of(path) == [
        {"date": dt.date(2026, 11, 3), "stage": 1, "pain_during": 0, "pain_next_morning": 0},
        {
            "date": dt.date(2026, 11, 5),
            "stage": 1,
            "pain_during": 0,
            "pain_evening": 0,
            "pain_next_morning": 0,
        },
        {
            "date": dt.date(2026, 11, 7),
            "stage": 2,
            "pain_during": 2,
            "pain_next_morning": 1,
            "soreness_next_morning": True,
            "note": "Sore shin after the hill",
        },
    ]
    after = path.read_text()
    for line in before.splitlines():  # every comment and line of the clinician's is kept
        if not line.startswith("checkins:"):
            assert line in after
    assert after.index("# Sessions the patient") < after.index("checkins:")
    assert "  - {date: 2026-11-03, stage: 1, pain_during: 0, pain_next_morning: 0}" in after

    again = made.cli("checkins", "import", str(filled), "--patients", str(folder))
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output and "0 added from 1 plans" in again.output
    assert path.read_text() == after

    # The plan made from the file now steps back to stage 1 after the amber day.
    library = load_library(made.project)
    [record] = read_patients(
        [path], protocols=library.protocols, sites=library.injury_sites, as_of=IMPORTED_ON
    )
    schedule = schedule_for(record, library)
    assert [log.light for log in schedule.logged] == ["green", "green", "amber"]
    assert schedule.sessions[0].stage.number == 1
    out = tmp_path / "out"
    remade = made.cli(
        "plans", str(path), "--as-of", IMPORTED_ON.isoformat(), "-j", "1", "--out", str(out)
    )
    assert remade.exit_code == 0, remade.output
    plan = out / "plans" / "P7" / "plan.pdf"
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(plan).pages)
    assert "On 7 November 2026 you had an amber day, so you went back to stage 1." in text


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"pain_during": "12", "pain_next_morning": "0"},
            "row 2026-11-03: pain_during: must be a whole number from 0 to 10",
        ),
        (
            {"pain_during": "0", "pain_evening": "abc", "pain_next_morning": "0"},
            "row 2026-11-03: pain_evening: must be a whole number from 0 to 10",
        ),
        (
            {"pain_during": "2"},
            "row 2026-11-03: pain_next_morning: is empty: a filled row needs the pain the next "
            "morning (0-10); fill it in, or leave the whole row empty",
        ),
        (
            {"note": "felt fine"},
            "row 2026-11-03: pain_during: is empty",
        ),
    ],
)
def test_a_bad_value_fails_its_pdf_alone(clinic, tmp_path, row, message):
    made, folder = clinic
    bad = fill(plan_of(made, "P7"), tmp_path / "bad.pdf", {"2026-11-03": row})
    good = fill(plan_of(made, "P8"), tmp_path / "good.pdf", TWO_GREENS_AN_AMBER)
    before = (folder / "P7.yaml").read_bytes()
    report = run_import(made, folder, bad, good)
    assert report.exit_code == 1
    lines = report.summary()
    assert any(line.startswith(f"error: {bad}: {message}") for line in lines), lines
    assert (folder / "P7.yaml").read_bytes() == before
    assert len(checkins_of(folder / "P8.yaml")) == 3
    said = "\n".join(lines).replace(str(tmp_path), "PDFS")  # the folder's name holds digits
    assert not any(value in said for value in ("12", "abc", "felt fine"))


def test_a_file_that_is_not_one_of_our_plans_is_refused(clinic, tmp_path):
    made, folder = clinic
    stranger = pypdf.PdfWriter()
    stranger.add_blank_page(width=200, height=200)
    stranger.write(tmp_path / "stranger.pdf")
    (tmp_path / "notes.pdf").write_text("not a PDF at all")
    report = run_import(made, folder, tmp_path / "stranger.pdf", tmp_path / "notes.pdf")
    assert report.exit_code == 1
    assert report.summary()[:2] == [
        f"error: {tmp_path / 'stranger.pdf'}: is not a plan made by r2r plans (it names no "
        "patient or plan version)",
        f"error: {tmp_path / 'notes.pdf'}: cannot be read as a PDF",
    ]


def test_a_plan_of_a_patient_not_in_the_folder_is_refused(clinic, tmp_path):
    made, folder = clinic
    (folder / "P8.yaml").unlink()
    filled = fill(plan_of(made, "P8"), tmp_path / "p8.pdf", TWO_GREENS_AN_AMBER)
    report = run_import(made, folder, filled)
    assert report.exit_code == 1
    assert report.summary()[0] == (
        f"error: {filled}: is the plan of P8, who has no valid YAML patient file in {folder} "
        "(r2r check names the problems of a file)"
    )


def test_a_day_logged_with_other_values_is_left_to_the_clinic(clinic, tmp_path):
    made, folder = clinic
    path = folder / "P7.yaml"
    path.write_text(
        PATIENT.format(id="P7")
        + "  - {date: 2026-11-03, stage: 1, pain_during: 1, pain_next_morning: 0}\n"
    )
    before = path.read_bytes()
    filled = fill(plan_of(made, "P7"), tmp_path / "p7.pdf", TWO_GREENS_AN_AMBER)
    report = run_import(made, folder, filled)
    assert report.exit_code == 1
    assert report.summary()[0] == (
        f"error: {filled}: row 2026-11-03: is already logged in P7.yaml with other values: "
        "left for the clinic to decide (correct the file or the form, then import again)"
    )
    assert path.read_bytes() == before


def test_a_row_the_plan_refuses_names_its_date(clinic, tmp_path):
    """A session logged after a red day, with no review to restart the plan."""
    made, folder = clinic
    rows = {
        "2026-11-03": {"pain_during": "5", "pain_next_morning": "4"},
        "2026-11-05": {"pain_during": "0", "pain_next_morning": "0"},
    }
    filled = fill(plan_of(made, "P7"), tmp_path / "p7.pdf", rows)
    report = run_import(made, folder, filled)
    assert report.exit_code == 1
    assert report.summary()[0].startswith(
        f"error: {filled}: row 2026-11-05: is after a red day, but no clinic review"
    )


def test_a_red_flag_pauses_the_plan_and_says_call_the_patient(clinic, tmp_path):
    made, folder = clinic
    rows = {"2026-11-03": {"pain_during": "0", "pain_next_morning": "0", "red_flag": "/on"}}
    filled = fill(plan_of(made, "P7"), tmp_path / "p7.pdf", rows)
    report = run_import(made, folder, filled)
    assert report.exit_code == 0, report.summary()
    assert report.summary()[0].endswith("(3 Nov red); RED on 3 Nov: call the patient")
    assert checkins_of(folder / "P7.yaml")[0]["red_flags"] == ["ticked_on_log"]


def test_a_dry_run_shows_what_it_would_add_and_writes_nothing(clinic, tmp_path):
    made, folder = clinic
    before = (folder / "P7.yaml").read_bytes()
    filled = fill(plan_of(made, "P7"), tmp_path / "p7.pdf", TWO_GREENS_AN_AMBER)
    report = run_import(made, folder, filled, dry_run=True)
    assert report.exit_code == 0
    assert report.summary() == [
        f"P7 ({filled}): would add 3 check-ins (3 Nov green, 5 Nov green, 7 Nov amber); "
        "amber on 7 Nov: back to stage 1",
        "checkins: 3 would be added from 1 plans, 0 failed (dry run: nothing written)",
    ]
    assert (folder / "P7.yaml").read_bytes() == before


KILLED_WHILE_WRITING = """\
import os
import signal
import sys

from generator.cli import main

synced = []
real_fsync = os.fsync

def fsync(fd):
    # Each file: its temporary file, then its folder. The third sync is the second patient
    # file's new bytes, not yet renamed over it: kill the import there.
    synced.append(fd)
    if len(synced) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    real_fsync(fd)

os.fsync = fsync
main(sys.argv[1:])
"""


def test_an_import_killed_between_files_leaves_no_file_half_written(clinic, tmp_path):
    made, folder = clinic
    first = fill(plan_of(made, "P7"), tmp_path / "p7.pdf", TWO_GREENS_AN_AMBER)
    second = fill(plan_of(made, "P8"), tmp_path / "p8.pdf", TWO_GREENS_AN_AMBER)
    before = (folder / "P8.yaml").read_bytes()
    script = tmp_path / "killed.py"
    script.write_text(KILLED_WHILE_WRITING)
    command = [sys.executable, str(script), "--project", str(made.root), "checkins", "import"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*command, str(first), str(second), "--patients", str(folder)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert done.returncode == -9, done.stderr.decode()
    assert len(checkins_of(folder / "P7.yaml")) == 3  # the first file: whole
    assert (folder / "P8.yaml").read_bytes() == before  # the second: untouched
    # The next run completes the second and adds nothing twice.
    rerun = made.cli("checkins", "import", str(first), str(second), "--patients", str(folder))
    assert rerun.exit_code == 0, rerun.output
    assert len(checkins_of(folder / "P7.yaml")) == 3
    assert len(checkins_of(folder / "P8.yaml")) == 3
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "P7.yaml",
        "P8.yaml",
    ]
