"""`r2r status`: the caseload in the clinic's order, its JSON, and its private page."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

from .conftest import REPO, Scratch

AS_OF = "2026-11-23"
KEYS = ["id", "state", "stage", "stages", "last_checkin", "next_session", "attention"]


def patient_file(
    patient_id: str,
    *,
    start: str = "2026-11-02",
    site: str = "posteromedial-tibia",
    checkins: list[str] = (),  # type: ignore[assignment]
    reviews: list[str] = (),  # type: ignore[assignment]
    imaging: bool = False,
    name: str = "",
) -> str:
    """A patient file running on mon, wed and fri from `start`."""
    text = f"""\
    id: {patient_id}
    name: {name or f"Secret Name {patient_id}"}
    injury: {{site: {site}, side: left}}
    clearance:
      by: Dr Test
      on: 2026-09-01
    """
    if imaging:
        text += "  imaging: {method: mri, on: 2026-09-01}\n"
    text = textwrap.dedent(text) + f"plan: {{start: {start}, run_days: [mon, wed, fri]}}\n"
    if checkins:
        text += "checkins:\n" + "".join(f"  - {c}\n" for c in checkins)
    if reviews:
        text += "reviews:\n" + "".join(f"  - {r}\n" for r in reviews)
    return text


def greens(start: dt.date, stages: list[int]) -> list[str]:
    """Pain-free check-ins on mon, wed and fri from `start`, one per item of `stages`."""
    days, day = [], start
    while len(days) < len(stages):
        if day.weekday() in (0, 2, 4):
            days.append(day)
        day += dt.timedelta(days=1)
    return [
        f"{{date: {d}, stage: {s}, pain_during: 0, pain_next_morning: 0}}"
        for d, s in zip(days, stages, strict=True)
    ]


def status(scratch: Scratch, *args: str) -> tuple[int, list[dict], str]:
    """`r2r status --json` on the scratch project's patients/ folder: exit code, lines, stderr."""
    result = CliRunner().invoke(
        main, ["--project", str(scratch.root), "status", "--json", "--as-of", AS_OF, *args]
    )
    return result.exit_code, json.loads(result.stdout or "[]"), result.stderr


def one(scratch: Scratch, text: str, *args: str) -> dict:
    scratch.write("patients/p.yaml", text)
    code, lines, errors = status(scratch, *args)
    assert code == 0, errors
    assert len(lines) == 1
    return lines[0]


def test_the_example_patients_need_the_clinic_in_order(tmp_path):
    examples = str(REPO / "examples" / "patients")
    command = ["status", examples, "--as-of", AS_OF, "--json", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, ["--project", str(REPO), *command])
    assert result.exit_code == 0, result.output
    lines = json.loads(result.stdout)
    assert [list(line) for line in lines] == [KEYS] * len(lines)
    states = [line["state"] for line in lines]
    assert states[0] == "paused" and lines[0]["id"] == "P1003"
    assert states == sorted(states, key=STATE_ORDER.index)
    assert set(states) == set(STATE_ORDER)
    assert states[-1] == "not-started"
    by_id = {line["id"]: line for line in lines}
    assert by_id["P1003"]["last_checkin"] == {"date": "2026-11-18", "light": "red"}
    assert by_id["P1003"]["next_session"] is None
    assert by_id["P1006"]["next_session"] == {
        "date": AS_OF,
        "kind": "review",
        "stage": 6,
        "overdue": False,
    }
    assert by_id["P1008"] == {
        "id": "P1008",
        "state": "finished",
        "stage": 12,
        "stages": 12,
        "last_checkin": {"date": "2026-11-07", "light": "green"},
        "next_session": None,
        "attention": "Plan what comes next with the patient.",
    }
    assert (tmp_path / "plans" / "caseload.html").is_file()


STATE_ORDER = ["paused", "awaiting-review", "quiet", "on-track", "finished", "not-started"]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def test_a_red_day_pauses_until_a_review_restarts(scratch):
    red = "{date: 2026-11-04, stage: 1, pain_during: 5, pain_next_morning: 2}"
    paused = one(scratch, patient_file("P1", checkins=[*greens(dt.date(2026, 11, 2), [1]), red]))
    assert paused["state"] == "paused"
    assert paused["attention"] == "Red day on Wed 4 Nov: call the patient."
    restarted = patient_file(
        "P1",
        checkins=[*greens(dt.date(2026, 11, 2), [1]), red, *greens(dt.date(2026, 11, 20), [1])],
        reviews=["{on: 2026-11-18, stage: 1}"],
    )
    assert one(scratch, restarted)["state"] == "on-track"


def test_a_gate_reached_waits_for_a_clinic_review(scratch):
    done = greens(dt.date(2026, 10, 19), [s for s in range(1, 6) for _ in range(3)])
    line = one(
        scratch,
        patient_file("P1", start="2026-10-19", site="navicular", checkins=done, imaging=True),
    )
    assert line["state"] == "awaiting-review" and line["stage"] == 6
    assert line["attention"] == "Book the clinic review before stage 6."


def test_no_check_in_for_more_than_the_quiet_days_while_sessions_were_due(scratch):
    # The last check-in on Wed 11 Nov, 12 days before the 23rd, is quiet; Fri 13 Nov (10) is not.
    logged = greens(dt.date(2026, 11, 6), [1, 1, 2])
    line = one(scratch, patient_file("P1", checkins=logged))
    assert line["state"] == "quiet"
    assert line["attention"] == "No check-in for 12 days: call the patient."
    on_time = greens(dt.date(2026, 11, 6), [1, 1, 2, 2])
    assert one(scratch, patient_file("P1", checkins=on_time))["state"] == "on-track"


def test_a_next_session_before_the_day_read_is_due_and_not_logged(scratch):
    # The plan never moves a session: logged to Wed 11 Nov, the next is still Fri 13 Nov.
    scratch.write(
        "patients/p.yaml", patient_file("P1", checkins=greens(dt.date(2026, 11, 6), [1, 1, 2]))
    )
    code, lines, errors = status(scratch)
    assert code == 0, errors
    assert lines[0]["next_session"] == {
        "date": "2026-11-13",
        "kind": "session",
        "stage": 2,
        "overdue": True,
    }
    table = scratch.cli("status", "--as-of", AS_OF).stdout
    assert "2026-11-13, stage 2 (due, not logged)" in table.splitlines()[1]
    parsed = Caseload()
    parsed.feed((scratch.root / "output" / "plans" / "caseload.html").read_text())
    assert parsed.rows[0][6] == "Fri 13 Nov, stage 2 (due, not logged)"
    assert one(scratch, patient_file("P1", start="2026-11-23"))["next_session"]["overdue"] is False


def test_quiet_days_come_from_site_toml(scratch):
    scratch.write(
        "site.toml", (scratch.root / "site.toml").read_text() + "[status]\nquiet_days = 3\n"
    )
    logged = greens(dt.date(2026, 11, 16), [1, 1])  # the last on Wed 18 Nov: 5 days
    assert one(scratch, patient_file("P1", checkins=logged))["state"] == "quiet"


def test_quiet_days_must_be_a_number_of_days(scratch):
    scratch.write(
        "site.toml", (scratch.root / "site.toml").read_text() + "[status]\nquiet_days = 0\n"
    )
    scratch.write("patients/p.yaml", patient_file("P1"))
    result = scratch.cli("status", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "site.toml: status.quiet_days: must be a number of days from 1 to 365" in result.stderr


def test_a_patient_who_never_logged_is_quiet_once_sessions_were_long_due(scratch):
    line = one(scratch, patient_file("P1", start="2026-11-02"))
    assert line["state"] == "quiet" and line["last_checkin"] is None
    assert line["attention"] == "No check-in for 21 days: call the patient."


def test_on_track_finished_and_not_started(scratch):
    on_track = one(scratch, patient_file("P1", checkins=greens(dt.date(2026, 11, 16), [1, 1, 2])))
    assert on_track["state"] == "on-track" and on_track["stage"] == 2
    assert on_track["next_session"] == {
        "date": "2026-11-23",
        "kind": "session",
        "stage": 2,
        "overdue": False,
    }
    assert on_track["attention"] == "Nothing needed."
    every_stage = greens(dt.date(2026, 9, 7), [s for s in range(1, 13) for _ in range(2)])
    finished = one(scratch, patient_file("P1", start="2026-09-07", checkins=every_stage))
    assert finished["state"] == "finished" and (finished["stage"], finished["stages"]) == (12, 12)
    assert finished["attention"] == "Plan what comes next with the patient."
    later = one(scratch, patient_file("P1", start="2026-11-25"))
    assert later["state"] == "not-started" and later["last_checkin"] is None
    assert later["attention"] == "First session on Wed 25 Nov."


def test_a_bad_record_is_one_error_line_and_the_others_are_listed(scratch):
    scratch.write("patients/good.yaml", patient_file("P1"))
    scratch.write("patients/bad.yaml", patient_file("P2").replace("posteromedial-tibia", "shin"))
    ahead = "{date: 2026-11-02, stage: 3, pain_during: 0, pain_next_morning: 0}"
    scratch.write("patients/ahead.yaml", patient_file("P3", checkins=[ahead]))
    code, lines, errors = status(scratch)
    assert code == 1
    assert [line["id"] for line in lines] == ["P1"]
    assert errors.splitlines() == [
        f"error: {scratch.root / 'patients' / 'ahead.yaml'}: checkins[1].stage: is past the "
        "stage the plan had reached on that day: a session cannot skip ahead (log the stage "
        "that was done, or add the clinic review that moved the patient on)",
        f"error: {scratch.root / 'patients' / 'bad.yaml'}: injury.site: is not a known injury "
        "site (see content/injury-sites.yaml)",
    ]
    assert "Secret" not in errors
    page = (scratch.root / "output" / "plans" / "caseload.html").read_text()
    assert "Patient files that could not be read: 2." in page


def test_the_terminal_table_lists_every_column(scratch):
    scratch.write(
        "patients/p.yaml", patient_file("P1", checkins=greens(dt.date(2026, 11, 16), [1, 1, 2]))
    )
    result = scratch.cli("status", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    head, row = result.stdout.splitlines()
    assert (
        head.split()
        == "Id Name Injury site State Stage Last check-in Next session What is needed".split()
    )
    assert row.split("  ")[0] == "P1"
    assert [c.strip() for c in row.split("  ") if c.strip()] == [
        "P1",
        "Secret Name P1",
        "posteromedial tibia",
        "On track",
        "2 of 12",
        "2026-11-20, green",
        "2026-11-23, stage 2",
        "Nothing needed.",
    ]


class Caseload(HTMLParser):
    """The rows of the caseload page's tables, and its charts' accessible names."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tables = 0
        self.charts: list[dict[str, str | None]] = []
        self.titles: list[str] = []
        self._cell: list[str] | None = None
        self._in_body = self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables += 1
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []
        elif tag == "svg":
            self.charts.append(dict(attrs))
        elif tag == "title" and self.charts:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles.append(" ".join(data.split()))
        elif self._cell is not None:
            self._cell.append(data)


def test_the_caseload_page_is_private_and_never_in_the_site(scratch):
    assert scratch.cli("build").exit_code == 0
    scratch.write(
        "patients/a.yaml", patient_file("P1", checkins=greens(dt.date(2026, 11, 16), [1, 1, 2]))
    )
    scratch.write("patients/b.yaml", patient_file("P2", start="2026-11-25"))
    noted = "{date: 2026-11-20, stage: 2, pain_during: 0, pain_next_morning: 0, note: Felt easy}"
    scratch.write(
        "patients/c.yaml",
        patient_file("P3", checkins=[*greens(dt.date(2026, 11, 16), [1, 1]), noted]),
    )
    result = scratch.cli("status", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    plans = scratch.root / "output" / "plans"
    page = plans / "caseload.html"
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert stat.S_IMODE(plans.stat().st_mode) == 0o700
    parsed = Caseload()
    parsed.feed(page.read_text())
    assert parsed.tables == 1
    assert [row[:4] for row in parsed.rows] == [
        ["P1", "Secret Name P1", "posteromedial tibia", "On track"],
        ["P3", "Secret Name P3", "posteromedial tibia", "On track"],
        ["P2", "Secret Name P2", "posteromedial tibia", "Not started"],
    ]
    assert parsed.rows[1][5] == "Fri 20 Nov, green“Felt easy”"
    assert parsed.rows[2][-1] == "No check-ins yet."
    assert len(parsed.charts) == 2
    assert parsed.charts[0]["role"] == "img"
    assert parsed.charts[0]["aria-labelledby"] == "chart-P1-title chart-P1-desc"
    assert parsed.titles[0].startswith(
        "Pain at the injury site after each session. Sessions logged: 3, from Mon 16 Nov to Fri 20 Nov."
    )
    site = scratch.root / "output" / "site"
    for path in site.rglob("*"):
        if path.is_file():
            assert b"Secret Name" not in path.read_bytes(), path
    assert not list(site.rglob("caseload*"))


def test_the_page_is_never_written_through_a_link(scratch):
    scratch.write("patients/a.yaml", patient_file("P1"))
    (scratch.root / "output" / "site").mkdir(parents=True)
    os.symlink(scratch.root / "output" / "site", scratch.root / "output" / "plans")
    result = scratch.cli("status", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "is a link: nothing is written through a link in a private folder" in result.stderr
    assert list((scratch.root / "output" / "site").iterdir()) == []


def test_without_patients_and_without_a_patients_folder_is_a_usage_error(scratch):
    result = scratch.cli("status", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "no PATIENTS given, and there is no" in result.stderr
    assert not (scratch.root / "output" / "plans").exists()


def test_the_page_is_the_same_for_the_same_caseload(scratch):
    scratch.write(
        "patients/a.yaml", patient_file("P1", checkins=greens(dt.date(2026, 11, 16), [1]))
    )
    assert scratch.cli("status", "--as-of", AS_OF).exit_code == 0
    page = scratch.root / "output" / "plans" / "caseload.html"
    first = page.read_bytes(), page.stat().st_mtime_ns
    assert scratch.cli("status", "--as-of", AS_OF).exit_code == 0
    assert (page.read_bytes(), page.stat().st_mtime_ns) == first


def test_one_table_per_25_patients(scratch):
    for number in range(1, 52):
        scratch.write(f"patients/p{number}.yaml", patient_file(f"P{number:02}"))
    assert scratch.cli("status", "--as-of", AS_OF).exit_code == 0
    parsed = Caseload()
    parsed.feed((scratch.root / "output" / "plans" / "caseload.html").read_text())
    assert parsed.tables == 3 and len(parsed.rows) == 51
