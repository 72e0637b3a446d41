"""`r2r plans`: PDFs and calendars read back, errors per record, privacy and permissions."""

from __future__ import annotations

import datetime as dt
import shutil
import stat
from pathlib import Path

import icalendar
import pypdf
import pytest

from generator.content.library import load_library
from generator.content.strings import load_strings
from generator.core.project import Project
from generator.outputs.plans import schedule_for
from generator.patients.readers import read_patients

from .conftest import REPO

pytestmark = pytest.mark.slow

AS_OF = "2026-11-23"
EXAMPLES = REPO / "examples" / "patients"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The shipped project with its example patients, built once for this module."""
    root = tmp_path_factory.mktemp("demo")
    for name in ("content", "templates", "examples"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.toml", root / "site.toml")
    from click.testing import CliRunner

    from generator.cli import main

    runner = CliRunner()
    built = runner.invoke(main, ["--project", str(root), "build", "--jobs", "2"])
    made = runner.invoke(
        main,
        [
            "--project",
            str(root),
            "plans",
            str(root / "examples" / "patients"),
            "--as-of",
            AS_OF,
            "--jobs",
            "2",
        ],
    )
    return root, built, made


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages)


def schedules(root: Path):
    library = load_library(Project.at(root))
    records = read_patients(
        [root / "examples" / "patients"],
        protocols=library.protocols,
        sites=library.injury_sites,
        as_of=dt.date.fromisoformat(AS_OF),
    )
    return {r.patient.id: (r.patient, schedule_for(r, library)) for r in records}


def test_every_example_patient_gets_a_pdf_and_a_calendar(demo):
    root, built, made = demo
    assert built.exit_code == 0, built.output
    assert made.exit_code == 0, made.output
    assert "plans: 12 made (12 rendered, 0 unchanged), 0 failed" in made.output
    plans = root / "output" / "plans"
    assert sorted(p.name for p in plans.iterdir()) == [
        "P1001",
        "P1002",
        "P1003",
        "P1004",
        "P1005",
        "P1006",
        "P1007",
        "P1008",
        "P1009",
        "P2001",
        "P2002",
        "P2003",
    ]
    assert stat.S_IMODE(plans.stat().st_mode) == 0o700
    for folder in plans.iterdir():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert sorted(p.name for p in folder.iterdir()) == ["plan.ics", "plan.pdf", "version.json"]
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())


def test_the_pdf_names_the_patient_the_dates_and_the_sessions(demo):
    root, _, _ = demo
    _patient, schedule = schedules(root)["P1001"]
    text = pdf_text(root / "output" / "plans" / "P1001" / "plan.pdf")
    assert "Your return-to-running plan" in text and "For Maya" in text
    assert (
        "Your injury: the inner edge of the shin bone, left side. Medical name: posteromedial tibia."
    ) in text
    first = schedule.planned[0].date
    assert f"Your first session is on {first.day} {first:%B %Y}." in text
    assert "made on 23 November 2026" in text
    assert "Your clinician: Sam Lee" in text
    for item in schedule.sessions:
        assert f"{item.date:%a} {item.date.day} {item.date:%b}" in text
    assert "4 × (run 30 sec, walk 4½ min)" in text and "Run 30 min" in text
    assert "Call the clinic on +1 555 0100 the same day if you notice" in text
    assert "Keep your bones strong" in text and "Strength training for bone" in text
    assert "Keep up your calf raises" in text  # the clinician's notes
    assert "This is education. It supports, but does not replace" in text
    assert "Return-to-running plans are templates, not tested recipes" in text


def test_a_paused_plan_says_so_and_plans_nothing(demo):
    root, _, _ = demo
    text = pdf_text(root / "output" / "plans" / "P1003" / "plan.pdf")
    assert "Your plan is paused" in text
    assert "You logged a red day on 18 November 2026. Stop running, and call the clinic" in text
    assert "On 4 November 2026 you had an amber day, so you went back to stage 2." in text
    calendar = icalendar.Calendar.from_ical((root / "output/plans/P1003/plan.ics").read_bytes())
    ahead = [e for e in calendar.walk("VEVENT") if e.decoded("DTSTART") > dt.date(2026, 11, 18)]
    assert [str(e["SUMMARY"]) for e in ahead] == ["Call the clinic before you run again"]


def test_high_risk_plans_show_the_readiness_gates_and_the_clinic_reviews(demo):
    root, _, _ = demo
    text = pdf_text(root / "output" / "plans" / "P1002" / "plan.pdf")
    assert (
        "Before stage 6, a clinic review. Why: Your first stage with more running than walking. "
        "Do not start"
    ) in text
    assert (
        "Clinic review before stage 6. Why: Your first stage with more running than walking. "
        "Do not "
        "start stage 6 until your clinician has signed you off. Call +1 555 0100 to book it."
    ) in text
    fresh = pdf_text(root / "output" / "plans" / "P2003" / "plan.pdf")  # sesamoid, not started
    assert "Your injury is at a high-risk site: scans must show that the bone has healed" in fresh
    assert "Healing confirmed by an MRI scan on 17 November 2026." in fresh
    assert "Before your first run" not in text and "Before your first run" in fresh


@pytest.mark.parametrize(
    ("patient_id", "surface"),
    [
        ("P1002", "Where to run: A track or treadmill only."),
        ("P1001", "Where to run: Level, even ground such as a track, a treadmill or firm grass."),
    ],
)
def test_the_plan_says_how_to_run_for_both_tiers(demo, patient_id, surface):
    root, _, _ = demo
    text = pdf_text(root / "output" / "plans" / patient_id / "plan.pdf")
    for line in (
        surface,
        "Run at an easy pace: you should be able to talk in full sentences.",
        "Warm up first with 5 minutes of brisk walking.",
        "Leave at least 1 rest day between runs. On rest days, do no-impact exercise",
        "If you go more than 7 days without a session, your plan steps back one stage for every "
        "5 days you missed.",
        "After the last stage, talk to the clinic before you add speed, hills or longer runs. "
        "Speed work starts with short strides.",
        "If you cannot reach the clinic and the pain is severe, or you cannot put weight on your "
        "leg, go to urgent care",
        "Return-to-running plans are templates, not tested recipes",
    ):
        assert line in text, line


def test_red_flags_fit_the_site_on_the_plan(demo):
    root, _, _ = demo
    foot = pdf_text(root / "output" / "plans" / "P1003" / "plan.pdf")
    hip = pdf_text(root / "output" / "plans" / "P1004" / "plan.pdf")
    assert "groin" not in foot.lower()
    assert "deep groin or front-of-hip pain" in hip


def test_the_calendar_matches_the_schedule(demo):
    root, _, _ = demo
    for patient_id, (patient, schedule) in schedules(root).items():
        t = load_strings(root / "templates", patient.language or "en")  # the plan's language
        raw = (root / "output" / "plans" / patient_id / "plan.ics").read_bytes()
        calendar = icalendar.Calendar.from_ical(raw)
        assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
        events = list(calendar.walk("VEVENT"))
        done = "(" + t.plan.logged.partition("{")[0]
        ahead = {str(e["UID"]).split("@")[0]: e for e in events if done not in e["SUMMARY"]}
        uids = [str(e["UID"]) for e in events]
        assert len(set(uids)) == len(uids)
        for item in schedule.planned:
            event = ahead[f"{patient_id}-{item.slot}"]
            assert event.decoded("DTSTART") == item.date
            if item.kind == "session":
                start = t.calendar.session.format(stage=item.stage.number, session="")
                assert str(event["SUMMARY"]).startswith(start)
                assert list(event.walk("VALARM"))
            elif item.kind == "review":
                assert str(event["SUMMARY"]) == t.calendar.review.format(stage=item.stage.number)
        assert patient.name.encode() not in raw and (patient.email or "@@").encode() not in raw


def test_a_plan_made_on_another_day_from_the_same_file_is_the_same_version(demo):
    root, _, _ = demo
    from click.testing import CliRunner

    from generator.cli import main

    folder = root / "output" / "plans" / "P1002"
    before = [(folder / name).read_bytes() for name in ("plan.ics", "version.json")]
    pdf = (folder / "plan.pdf").read_bytes()
    later = CliRunner().invoke(
        main,
        ["--project", str(root), "plans", str(EXAMPLES / "P1002.yaml"), "--as-of", "2026-12-09"],
    )
    assert later.exit_code == 0, later.output
    assert [(folder / name).read_bytes() for name in ("plan.ics", "version.json")] == before
    text = pdf_text(folder / "plan.pdf")
    assert (folder / "plan.pdf").read_bytes() != pdf  # made on another day, past days marked
    assert "made on 9 December 2026" in text and "Not logged yet" in text
    again = CliRunner().invoke(
        main,
        ["--project", str(root), "plans", str(EXAMPLES / "P1002.yaml"), "--as-of", AS_OF],
    )
    assert again.exit_code == 0 and "Not logged yet" not in pdf_text(folder / "plan.pdf")


# Privacy (the site, the search index, the logs, permissions, PDF metadata):
# tests/hardening/test_privacy.py.


def test_a_second_run_renders_nothing_and_a_new_plan_date_remakes_the_plans(demo):
    root, _, _ = demo
    from click.testing import CliRunner

    from generator.cli import main

    again = CliRunner().invoke(
        main, ["--project", str(root), "plans", str(EXAMPLES / "P1001.yaml"), "--as-of", AS_OF]
    )
    assert "plans: 1 made (0 rendered, 1 unchanged), 0 failed" in again.output
    assert (root / "output" / "plans" / "P1005").is_dir()  # other patients' plans are kept


def test_bad_records_are_named_and_the_good_ones_still_made(tmp_path, scratch):
    folder = tmp_path / "patients"
    folder.mkdir()
    shutil.copy(EXAMPLES / "P1001.yaml", folder / "good.yaml")
    (folder / "bad.yaml").write_text(
        (EXAMPLES / "P1001.yaml")
        .read_text()
        .replace("id: P1001", "id: P9")
        .replace("posteromedial-tibia", "shin")
    )
    (folder / "rows.csv").write_text(
        "id,name,injury_site,clearance_by,clearance_on,plan_start,"
        "plan_run_days\nP7,Row Seven,fibula,Dr X,2026-11-18,"
        "2026-11-24,mon tue\n"
    )
    result = scratch.cli("plans", str(folder), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        f"error: {folder}/bad.yaml: injury.site: is not a known injury site "
        "(see content/injury-sites.yaml)"
    ) in result.output
    assert (
        f"error: {folder}/rows.csv: row 2: plan_run_days: mon and tue leave fewer than 1 "
        "rest day(s) between runs, as low-risk requires"
    ) in result.output
    assert "plans: 1 made (1 rendered, 0 unchanged), 2 failed" in result.output
    assert (scratch.root / "output" / "plans" / "P1001" / "plan.pdf").is_file()
    assert not (scratch.root / "output" / "plans" / "P9").exists()


def test_new_patient_writes_a_file_that_check_explains(scratch):
    result = scratch.cli("new-patient", "P77")
    assert result.exit_code == 0
    path = scratch.root / "patients" / "P77.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    checked = scratch.cli("check", str(path))
    assert checked.exit_code == 1
    assert f"error: {path}: name: is required but empty" in checked.output
    assert f"error: {path}: injury.site: is required but empty" in checked.output
    assert scratch.cli("new-patient", "P77").exit_code == 2
    assert scratch.cli("new-patient", "../evil").exit_code == 2
