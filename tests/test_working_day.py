"""A clinic's first week with the CLI: each message and exit status a user sees."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import stat
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content.library import load_library
from generator.patients.readers import FLAT_FIELDS

from .conftest import REPO
from .test_print_layout import page_lines

EXAMPLES = REPO / "examples" / "patients"
AS_OF = dt.date(2026, 12, 1)


def _printed_check_command(output: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith("fill it in"))
    command = line.partition("run: ")[2]
    assert command.startswith("r2r ")
    return shlex.split(command)[1:]


def test_new_patient_prints_a_check_command_that_works_from_the_project(scratch, monkeypatch):
    monkeypatch.chdir(scratch.root)
    result = CliRunner().invoke(main, ["new-patient", "P77"])
    assert result.exit_code == 0
    assert "fill it in, then run: r2r check patients/P77.yaml" in result.output
    text = (scratch.root / "patients" / "P77.yaml").read_text()
    assert "#   r2r check patients/P77.yaml\n" in text
    checked = CliRunner().invoke(main, _printed_check_command(result.output))
    assert "site.toml" not in checked.output
    assert "error: patients/P77.yaml: name: is required but empty" in checked.output


def test_new_patient_prints_a_check_command_that_works_from_elsewhere(scratch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = scratch.cli("new-patient", "P78")
    assert "fill it in, then run: r2r --project " in result.output
    checked = CliRunner().invoke(main, _printed_check_command(result.output))
    assert checked.exit_code == 1
    assert "patients/P78.yaml: injury.site: is required but empty" in checked.output


def test_a_new_patient_file_left_as_written_asks_for_its_dates(scratch):
    scratch.cli("new-patient", "P79")
    path = scratch.root / "patients" / "P79.yaml"
    checked = scratch.cli("check", str(path))
    assert checked.exit_code == 1
    for field in ("name", "injury.site", "clearance.by", "clearance.on", "plan.start"):
        assert f"error: {path}: {field}: " in checked.output
    assert "diagnosed: 20" not in path.read_text()


def test_a_new_patient_file_marks_required_fields_and_lists_every_field(scratch):
    scratch.cli("new-patient", "P80")
    text = (scratch.root / "patients" / "P80.yaml").read_text()
    lines = text.splitlines()
    assert any(line.startswith("  name:") and "required" in line for line in lines)
    for path in FLAT_FIELDS.values():  # every field of a patient file, by its place
        key = f"{path[-1]}:"
        assert any(line.lstrip(" #").startswith(key) for line in lines), path
    for key in ("checkins:", "reviews:", "language:", "imaging:", "protocol_reason:"):
        assert key in text
    assert "posteromedial-tibia" in text and "femoral-neck" in text
    assert "low-risk" in text and "high-risk" in text
    commented = [line for line in lines if "# " in line and not line.startswith("#")]
    columns = {line.index("# ") for line in commented if not line.lstrip().startswith("#")}
    assert len(columns) == 1  # the comments are aligned
    assert max(len(line) for line in lines if "r2r " not in line) <= 100
    dates = [line.split("date: ")[1][:10] for line in lines if "{date: " in line]
    assert len(dates) == len(set(dates)) == 3


def test_new_patient_never_replaces_a_file(scratch):
    folder = scratch.root / "patients"
    folder.mkdir()
    (folder / "P81.yaml").write_text("id: P81\n")
    result = scratch.cli("new-patient", "P81")
    assert result.exit_code == 2
    assert "P81.yaml: already exists; it is never overwritten" in result.output
    assert (folder / "P81.yaml").read_text() == "id: P81\n"


def test_every_problem_of_a_patient_file_is_reported_at_once(scratch, tmp_path):
    path = tmp_path / "bad.yaml"
    text = (EXAMPLES / "P1001.yaml").read_text()
    path.write_text(
        text.replace("posteromedial-tibia", "shin-bone").replace("[tue, thu, sat]", "[mon, tue]")
    )
    result = scratch.cli("check", str(path))
    assert result.exit_code == 1
    assert f"error: {path}: injury.site: is not a known injury site" in result.output
    assert f"error: {path}: plan.run_days: mon and tue leave fewer than 1 rest day" in (
        result.output
    )


def _patients_folder(scratch, *ids: str) -> Path:
    folder = scratch.root / "patients"
    folder.mkdir(exist_ok=True)
    for patient_id in ids:
        (folder / f"{patient_id}.yaml").write_text((EXAMPLES / f"{patient_id}.yaml").read_text())
    return folder


def test_plans_counts_patients_not_problems(scratch, tmp_path):
    path = tmp_path / "bad.yaml"
    text = (EXAMPLES / "P1001.yaml").read_text()
    path.write_text(
        text.replace("posteromedial-tibia", "shin")
        .replace("[tue, thu, sat]", "[mon, tue]")
        .replace("2026-11-18", "2026-13-18")
    )
    result = scratch.cli("plans", str(path), "--as-of", "2026-12-01")
    assert result.exit_code == 1
    assert result.output.count("error: ") >= 2
    assert "plans: 0 made (0 rendered, 0 unchanged), 1 failed" in result.output


def test_a_path_that_does_not_exist_is_a_usage_error(scratch, tmp_path):
    for command in ("plans", "email", "check"):
        result = scratch.cli(command, str(tmp_path / "nowhere.yaml"))
        assert result.exit_code == 2, command
        assert "nowhere.yaml' does not exist" in result.output


def test_plans_and_email_default_to_the_patients_folder(scratch):
    missing = scratch.cli("plans")
    assert missing.exit_code == 2
    assert "no PATIENTS given, and there is no" in missing.output
    _patients_folder(scratch, "P1001")
    result = scratch.cli("plans", "--as-of", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert "plans: 1 made (1 rendered, 0 unchanged), 0 failed" in result.output
    assert f"plans are in {scratch.root / 'output' / 'plans'}" in result.output
    dry = scratch.cli("email", "--dry-run", "--as-of", "2026-12-01")
    assert "plans: 1 made (0 rendered, 1 unchanged)" in dry.output  # the same patients/
    assert f"messages are in {scratch.root / 'output' / 'outbox'}" in dry.output


def test_verbose_says_what_was_read_made_and_skipped(scratch):
    _patients_folder(scratch, "P1001")
    quiet = scratch.cli("plans", "--as-of", "2026-12-01")
    assert "info:" not in quiet.output
    again = scratch.cli("plans", "--as-of", "2026-12-01", "--verbose")
    assert "info: read site.toml, 2 page(s) in content/" in again.output
    assert "patients/P1001.yaml: valid" in again.output
    assert "info: P1001/plan.pdf: skipped, made from the same inputs last time" in again.output
    later = scratch.cli("plans", "--as-of", "2026-12-02", "-v")
    assert "info: P1001/plan.pdf: to be made (new, or its inputs changed)" in later.output
    assert "info: P1001/plan.pdf: made" in later.output
    assert "Maya" not in later.output


def test_a_site_build_says_where_its_outputs_are(scratch):
    result = scratch.cli("site", "-v")
    assert result.exit_code == 0
    assert "info: index.html: written" in result.output
    assert f"outputs are in {scratch.site}" in result.output.splitlines()[-1]


def test_help_shows_whole_first_lines_and_only_the_options_used():
    runner = CliRunner()
    overview = runner.invoke(main, ["--help"]).output.partition("Commands:")[2]
    assert "..." not in overview and "…" not in overview
    assert "Make a dated plan (plan.pdf and plan.ics) for each patient, in" in overview
    assert "handout" not in runner.invoke(main, ["site", "--help"]).output
    for command in ("new-patient", "check"):
        text = runner.invoke(main, [command, "--help"]).output
        assert "--jobs" not in text and "--out" not in text, command
    assert "--jobs" in runner.invoke(main, ["plans", "--help"]).output


def test_check_of_a_patient_file_prints_no_content_table(scratch):
    result = scratch.cli("check", str(EXAMPLES / "P1001.yaml"), "--as-of", "2026-12-01")
    assert result.exit_code == 0
    assert "grade" not in result.output and "content/basics.md" not in result.output
    assert "check: 1 patient record(s), 0 problem(s): ready for r2r plans" in result.output


def test_a_misspelt_csv_column_is_named_with_the_one_meant(scratch, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "id,name,injury-site,clearance_by,clearance_on,plan_start\n"
        "P1,Ana Lima,fibula,Dr X,2026-11-18,2026-11-24\n"
    )
    result = scratch.cli("check", str(path))
    assert result.exit_code == 1
    assert "unknown column(s): injury-site (did you mean injury_site?)" in result.output
    assert "it has no column plan_run_days (required)" in result.output
    assert "Ana Lima" not in result.output


def test_email_without_a_terminal_needs_yes(scratch):
    _patients_folder(scratch, "P1001")
    result = scratch.cli("email", "--as-of", "2026-12-01")
    assert result.exit_code == 2
    assert "no terminal to ask on before sending: give --yes" in result.output
    assert not (scratch.root / "output" / "plans").exists()


def test_the_bundled_zero_has_no_slash():
    from fontTools.ttLib import TTFont

    fonts = sorted((REPO / "templates" / "static" / "fonts").glob("*.woff2"))
    assert len(fonts) == 4
    for path in fonts:
        glyphs = TTFont(path)["glyf"]
        assert glyphs["zero"].numberOfContours == 2, path  # the oval and one counter
        assert glyphs["O"].numberOfContours == 2, path


@pytest.mark.slow
def test_plans_print_writes_one_printer_pdf_with_each_plan_on_an_odd_page(scratch):
    folder = _patients_folder(scratch, "P1001", "P1003", "P1004", "P1008")
    result = scratch.cli("plans", str(folder), "--as-of", "2026-12-01", "--print", "-j", "2")
    assert result.exit_code == 0, result.output
    plans = scratch.root / "output" / "plans"
    printed = plans / "print-2026-12-01.pdf"
    assert f"to print: {printed} (4 plan(s), each starting on a right-hand page)" in result.output
    assert stat.S_IMODE(printed.stat().st_mode) == 0o600
    pages = [page.extract_text() for page in pypdf.PdfReader(printed).pages]
    lengths = []
    at = 0
    for patient_id in ("P1001", "P1003", "P1004", "P1008"):
        plan = [
            page.extract_text() for page in pypdf.PdfReader(plans / patient_id / "plan.pdf").pages
        ]
        lengths.append(len(plan))
        assert at % 2 == 0, patient_id  # page at + 1 of the file: an odd, right-hand page
        assert pages[at : at + len(plan)] == plan, patient_id
        at += len(plan)
        if len(plan) % 2:
            assert pages[at].strip() == "", patient_id  # the back of its last sheet
            at += 1
    assert at == len(pages)
    assert any(n % 2 for n in lengths)  # the batch does test the padding
    for page in pypdf.PdfReader(printed).pages:  # a week's heading never ends a page
        lines = page_lines(page)
        if lines:
            last = "".join(text for _, text in lines[min(lines)]).strip()
            assert not last.startswith("Week of"), last


def test_a_plan_never_nests_brackets_whatever_the_site(tmp_path):
    from generator.content.library import load_library
    from generator.core.project import Project
    from generator.outputs.plans import draft_plan, plan_html
    from generator.patients.readers import read_patients
    from generator.render.environment import make_environment

    library = load_library(Project.at(REPO))
    env = make_environment(library, keep_compiled=False)
    template = (
        (EXAMPLES / "P1001.yaml")
        .read_text()
        .replace(  # no check-ins yet
            "clearance:\n", "clearance:\n  imaging: {method: mri, on: 2026-11-15}\n"
        )
    )
    site_line = next(line for line in template.splitlines() if line.strip().startswith("site:"))
    for key in library.injury_sites:
        path = tmp_path / f"{key}.yaml"
        path.write_text(template.replace(site_line, f"  site: {key}"))
        (record,) = read_patients(
            [path],
            protocols=library.protocols,
            sites=library.injury_sites,
            as_of=dt.date(2026, 12, 1),
        )
        assert record.ok, record.problems
        html = plan_html(draft_plan(record, library), library, env, [], dt.date(2026, 12, 1))
        text = re.sub(r"<[^>]+>", "", html)
        assert not re.search(r"\([^()]*\(", text), key  # no bracket inside a bracket


def _first_review(scratch, folder: Path):
    from generator.outputs.plans import schedule_for
    from generator.patients.readers import read_patients

    library = load_library(scratch.project)
    (record,) = read_patients(
        [folder], protocols=library.protocols, sites=library.injury_sites, as_of=AS_OF
    )
    return next(d for d in schedule_for(record, library).planned if d.kind == "review")


@pytest.mark.slow
def test_a_review_on_a_clinic_holiday_moves_and_the_plan_says_so(scratch):
    folder = _patients_folder(scratch, "P1002")
    review = _first_review(scratch, folder)
    settings = (scratch.root / "site.toml").read_text()
    scratch.write(
        "site.toml",
        settings.replace("[plans]\n", f"[plans]\nholidays = [{review.date.isoformat()}]\n"),
    )
    moved = _first_review(scratch, folder)
    assert moved.date != review.date and moved.moved_from == review.date
    result = scratch.cli("plans", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(scratch.root / "output" / "plans" / "P1002" / "plan.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    day = review.date
    assert f"(Moved from {day.day} {day:%B %Y}: the clinic is closed that day.)" in text
