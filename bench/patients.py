"""Generate N fictional patients as a spreadsheet export, and export their plans' HTML.

The names are made up from short lists; sites, run days, start dates and check-ins vary with a
fixed seed, so every run benchmarks the same plans.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Femi",
    "Grace",
    "Hugo",
    "Iris",
    "Jonas",
    "Kira",
    "Luca",
    "Mina",
    "Noah",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
]
LAST = [
    "Abbott",
    "Baptiste",
    "Castro",
    "Dlamini",
    "Eriksen",
    "Fontaine",
    "Gupta",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Osei",
    "Petrov",
]
SITES = [
    "posteromedial-tibia",
    "fibula",
    "metatarsal-shaft",
    "calcaneus",
    "femoral-shaft",
    "pelvis",
    "navicular",
    "femoral-neck",
    "anterior-tibia",
    "sesamoid",
]
RUN_DAYS = ["mon;wed;fri", "tue;thu;sat", "mon;thu;sat", "tue;fri;sun", "mon;wed;sat"]
AS_OF = dt.date(2026, 11, 23)


def make_project(root: Path, patients: int, *, seed: int = 11, shipped: Path = REPO) -> Path:
    """The project shipped in `shipped` (a checkout of the tool) plus `patients.csv` with
    `patients` rows, in `root`."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in ("content", "templates"):
        shutil.copytree(shipped / name, root / name)
    shutil.copy(shipped / "site.toml", root / "site.toml")
    rng = random.Random(seed)
    with (root / "patients.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "name",
                "preferred_name",
                "email",
                "injury_site",
                "injury_side",
                "clearance_by",
                "clearance_on",
                "clearance_imaging_method",
                "clearance_imaging_on",
                "plan_start",
                "plan_run_days",
                "clinician_name",
                "notes",
            ]
        )
        for number in range(patients):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            start = AS_OF + dt.timedelta(days=rng.randint(-3, 14))
            writer.writerow(
                [
                    f"B{number:05d}",
                    f"{first} {last}",
                    first,
                    f"{first.lower()}.{last.lower()}{number}@example.org",
                    rng.choice(SITES),
                    rng.choice(["left", "right"]),
                    "Dr Alex Rivera",
                    (start - dt.timedelta(days=3)).isoformat(),
                    "mri",  # every site gets it: a high-risk site needs it
                    (start - dt.timedelta(days=5)).isoformat(),
                    start.isoformat(),
                    rng.choice(RUN_DAYS),
                    "Sam Lee",
                    "Keep up your calf raises on rest days.",
                ]
            )
    return root


def export_html(root: Path, target: Path) -> None:
    """Write each plan's HTML and the PDF stylesheets to `target`, for the plain loop."""
    from generator.content.library import load_library
    from generator.core.project import Project
    from generator.outputs.documents import pdf_config
    from generator.outputs.plans import draft_plan, plan_html, topic_links
    from generator.patients.readers import read_patients
    from generator.render.environment import make_environment

    library = load_library(Project.at(root))
    env = make_environment(library)
    records = read_patients(
        [root / "patients.csv"],
        protocols=library.protocols,
        sites=library.injury_sites,
        as_of=AS_OF,
    )
    topics = topic_links(library)
    target.mkdir(parents=True, exist_ok=True)
    for record in records:
        draft = draft_plan(record, library)
        html = plan_html(draft, library, env, topics, AS_OF)
        (target / f"{draft.patient.id}.html").write_text(html, encoding="utf-8")
    for index, sheet in enumerate(pdf_config(library, env).stylesheets):
        (target / f"style-{index}.css").write_text(sheet.text, encoding="utf-8")
        (target / f"style-{index}.url").write_text(sheet.base_url, encoding="utf-8")


def make_logged_project(
    root: Path, patients: int, *, chart: bool = True, seed: int = 11, shipped: Path = REPO
) -> Path:
    """The project shipped in `shipped` plus `patients/`: `patients` YAML files with 3 to 14
    check-ins each (so every plan has a pain chart). Without `chart`, the plan's chart
    template is emptied: the same plans without their charts."""
    make_project(root, 0, seed=seed, shipped=shipped)
    if not chart:
        (root / "templates" / "pdf" / "pain_chart.html").write_text("", encoding="utf-8")
    rng = random.Random(seed)
    folder = root / "patients"
    folder.mkdir()
    start = AS_OF - dt.timedelta(days=49)  # a Monday
    for number in range(patients):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        days = [start + dt.timedelta(days=d) for week in range(7) for d in (7 * week, 7 * week + 2)]
        logged = days[: rng.randint(3, 14)]
        checkins = "".join(
            f"  - {{date: {day}, stage: {1 + index // 2}, pain_during: 0, pain_next_morning: 0}}\n"
            for index, day in enumerate(logged)
        )
        (folder / f"B{number:05d}.yaml").write_text(
            f"id: B{number:05d}\nname: {first} {last}\n"
            "injury: {site: posteromedial-tibia, side: left}\n"
            f"clearance: {{by: Dr Alex Rivera, on: {start - dt.timedelta(days=3)}}}\n"
            f"plan: {{start: {start}, run_days: [mon, wed]}}\n"
            f"checkins:\n{checkins}",
            encoding="utf-8",
        )
    return root
