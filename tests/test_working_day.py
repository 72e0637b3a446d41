"""A clinic's first week with the CLI: each message and exit status a user sees."""

from __future__ import annotations

import shlex

from click.testing import CliRunner

from generator.cli import main
from generator.patients.readers import FLAT_FIELDS

from .conftest import REPO

EXAMPLES = REPO / "examples" / "patients"


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
