"""The pain chart: its layout from the schedule, and the chart in the plan PDF (tagged, with
its text alternative)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pypdf
import pytest

from generator.content.library import load_library
from generator.outputs.pain_chart import FULL, pain_chart
from generator.patients.readers import read_patients
from generator.patients.schedule import make_schedule

from .test_caseload import AS_OF, greens, patient_file

AMBER = "{date: 2026-11-06, stage: 2, pain_during: 2, pain_next_morning: 1}"
CHECKINS = [*greens(dt.date(2026, 11, 2), [1, 1]), AMBER]


def schedule_of(scratch, text: str):
    path = scratch.write("patients/p.yaml", text)
    library = load_library(scratch.project)
    (record,) = read_patients(
        [path],
        protocols=library.protocols,
        sites=library.injury_sites,
        as_of=dt.date.fromisoformat(AS_OF),
    )
    assert record.patient is not None, record.problems
    protocol = library.protocols["low-risk"]
    return make_schedule(record.patient, protocol)


def test_each_logged_session_is_a_point_over_the_traffic_light(scratch):
    chart = pain_chart(schedule_of(scratch, patient_file("P1", checkins=CHECKINS)))
    assert chart is not None
    assert [(p.date.day, p.stage, p.light, p.during, p.morning) for p in chart.points] == [
        (2, 1, "green", 0, 0),
        (4, 1, "green", 0, 0),
        (6, 2, "amber", 2, 1),
    ]
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs) and FULL.left < xs[0] and xs[-1] < FULL.width - FULL.right
    # higher pain is higher on the chart: a smaller y
    assert chart.points[2].y_during < chart.points[2].y_morning < chart.points[0].y_during
    assert [(b.light, b.low, b.high) for b in chart.bands] == [
        ("green", 0, 0),
        ("amber", 1, 3),
        ("red", 4, 10),
    ]
    green, amber, red = chart.bands
    assert green.y + green.height == pytest.approx(FULL.base)
    assert amber.y + amber.height == pytest.approx(green.y)
    assert red.y == pytest.approx(FULL.top) and red.y + red.height == pytest.approx(amber.y)
    assert amber.y < chart.points[2].y_during < amber.y + amber.height
    assert [(s.stage, xs[0] < s.x < xs[2]) for s in chart.steps] == [(2, True)]
    assert (chart.peak_during.pain, chart.peak_during.date.day) == (2, 6)
    assert (chart.count("green"), chart.count("amber"), chart.count("red")) == (2, 1, 0)


def test_no_chart_before_any_session(scratch):
    assert pain_chart(schedule_of(scratch, patient_file("P1"))) is None


def structure(node: Any) -> list[dict]:
    """Every element of a PDF's structure tree under `node`."""
    node = node.get_object()
    found = []
    if isinstance(node, dict):
        if "/S" in node:
            found.append(node)
        kids = node.get("/K")
        if kids is not None:
            kids = kids.get_object()
            for kid in kids if isinstance(kids, list) else [kids]:
                if hasattr(kid, "get_object") and isinstance(kid.get_object(), (dict, list)):
                    found += structure(kid)
    return found


@pytest.mark.slow
def test_the_plan_pdf_shows_the_chart_with_its_text_alternative(scratch):
    scratch.write("patients/p.yaml", patient_file("P1", checkins=CHECKINS))
    scratch.write("patients/q.yaml", patient_file("P2", start="2026-11-25"))
    result = scratch.cli("plans", str(scratch.root / "patients"), "--as-of", AS_OF, "--jobs", "1")
    assert result.exit_code == 0, result.output
    plans = scratch.root / "output" / "plans"
    reader = pypdf.PdfReader(plans / "P1" / "plan.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "How your pain has been" in text
    assert (
        "Sessions logged: 3, from Mon 2 Nov to Fri 6 Nov. Highest pain during a session: 2 "
        "out of 10, on Fri 6 Nov. Highest pain the next morning: 1 out of 10. Green: 2. "
        "Amber: 1. Red: 0."
    ) in text
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a pypdf BooleanObject
    figures = [e for e in structure(root["/StructTreeRoot"]) if e["/S"] == "/Figure"]
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert any(
        alt.startswith("Pain at the injury site after each session. Sessions logged: 3")
        for alt in alts
    ), alts
    assert all(alts), "every figure has an alternate text"
    fresh = pypdf.PdfReader(plans / "P2" / "plan.pdf")
    assert "How your pain has been" not in " ".join(p.extract_text() for p in fresh.pages)
