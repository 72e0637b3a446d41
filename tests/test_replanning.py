"""Re-planning from check-ins, tried as a clinic meets it: each unsafe file is refused with its
file and field, and the other patients' plans are still made."""

from __future__ import annotations

import textwrap

import pytest

from .conftest import Scratch

AS_OF = "2026-12-20"

NAVICULAR = """\
id: {id}
name: Test Patient
injury: {{site: navicular, side: right}}
clearance:
  by: Dr X
  on: 2026-11-02
  imaging: {{method: mri, on: 2026-10-30}}
plan:
  start: 2026-11-02
  run_days: [mon, wed, fri]
"""

FIBULA = """\
id: {id}
name: Test Patient
injury: {{site: fibula}}
clearance: {{by: Dr X, on: 2026-11-02}}
plan:
  start: 2026-11-02
  run_days: [mon, wed, fri]
"""


def patient_file(scratch: Scratch, name: str, base: str, tail: str = "") -> str:
    text = base.format(id=name) + textwrap.dedent(tail)
    return str(scratch.write(f"patients/{name}.yaml", text))


def checkins(*rows: tuple[str, int]) -> str:
    lines = [
        f"  - {{date: {day}, stage: {stage}, pain_during: 0, pain_next_morning: 0}}"
        for day, stage in rows
    ]
    return "checkins:\n" + "\n".join(lines) + "\n"


SKIPS_AHEAD = checkins(("2026-11-02", 1), ("2026-11-04", 6))
THREE_EACH = [
    (f"2026-11-{day:02d}", stage)
    for day, stage in zip(
        [2, 4, 6, 9, 11, 13, 16, 18, 20, 23, 25, 27, 30],
        [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5],
        strict=True,
    )
]
PAST_GATE = checkins(
    *THREE_EACH,
    ("2026-12-02", 5),
    ("2026-12-04", 5),
    ("2026-12-07", 6),
)


@pytest.mark.parametrize(
    ("base", "tail", "where", "message"),
    [
        (
            NAVICULAR,
            SKIPS_AHEAD,
            "checkins[2].stage",
            "is past the stage the plan had reached on that day",
        ),
        (
            NAVICULAR,
            PAST_GATE,
            "checkins[16].stage",
            "is at a stage that needs a clinic review first, but no review (reviews) signs",
        ),
        (
            NAVICULAR.replace("  imaging: {{method: mri, on: 2026-10-30}}\n", ""),
            "",
            "clearance.imaging",
            "is required for a high-risk site: healing confirmed by imaging before stage 1",
        ),
        (
            NAVICULAR.replace(
                "run_days: [mon, wed, fri]", "run_days: [mon, wed, fri]\n  protocol: low-risk"
            ),
            "",
            "plan.protocol",
            "is made for a lower risk tier than the injury site's: give plan.protocol_reason",
        ),
    ],
    ids=["skips-a-stage", "passes-a-gate-unreviewed", "no-imaging", "lower-tier-without-reason"],
)
def test_an_unsafe_file_is_refused_with_its_field(scratch, base, tail, where, message):
    path = patient_file(scratch, "P1", base, tail)
    checked = scratch.cli("check", path, "--as-of", AS_OF)
    assert checked.exit_code == 1, checked.output
    errors = [line for line in checked.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {path}: {where}: {message}")
    assert "Test Patient" not in checked.output


def test_a_reason_lets_a_clinician_choose_a_lower_tier_protocol(scratch):
    base = NAVICULAR.replace(
        "run_days: [mon, wed, fri]",
        "run_days: [mon, wed, fri]\n  protocol: low-risk\n"
        "  protocol_reason: Late-stage rehab; the surgeon agreed.",
    )
    path = patient_file(scratch, "P1", base)
    assert scratch.cli("check", path, "--as-of", AS_OF).exit_code == 0


@pytest.mark.slow
def test_the_other_patients_are_still_made(scratch):
    patient_file(scratch, "P1", NAVICULAR, SKIPS_AHEAD)
    patient_file(
        scratch, "P2", NAVICULAR.replace("  imaging: {{method: mri, on: 2026-10-30}}\n", "")
    )
    patient_file(scratch, "P3", FIBULA)
    made = scratch.cli("plans", str(scratch.root / "patients"), "--as-of", AS_OF)
    assert made.exit_code == 1
    assert "plans: 1 made (1 rendered, 0 unchanged), 2 failed" in made.output
    plans = scratch.root / "output" / "plans"
    assert sorted(p.name for p in plans.iterdir()) == ["P3"]
