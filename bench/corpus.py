"""Generate a benchmark project: N topic pages of realistic Markdown with front matter.

Pages are about 800 words of plain patient prose with headings, lists, a table, callouts,
citations and links to other pages, written from a fixed seed so every run builds the same.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WORDS = (
    "you bone run walk rest day week pain soreness clinic stage time body heal load slowly "
    "minutes shoes surface track grass food energy calcium sleep muscle calf foot strength "
    "hop plan check morning evening easy steady short long green amber red stop call safe "
    "return injury stress fracture reaction tibia metatarsal hip groin limp swelling night"
).split()
SETTINGS = """\
[clinic]
name = "Benchmark Clinic"
phone = "+1 555 0100"
email = "bench@clinic.example"

[site]
title = "Benchmark"
base_url = "https://bench.example/"

[pdf]
page_size = "A4"
"""


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 5) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def page(index: int, total: int, rng: random.Random) -> str:
    other = f"page-{(index + 1) % total:04d}"
    sections = []
    for number in range(1, 5):
        sections.append(
            f"## Section {number} of topic {index}\n\n{paragraph(rng)}[^1]\n\n"
            f"- {sentence(rng)}\n- {sentence(rng)}\n- {sentence(rng)}\n\n"
            f"{paragraph(rng, 4)} See [the next topic]({other}.md).\n"
        )
    table = "| Stage | Run | Walk |\n| --- | --- | --- |\n" + "".join(
        f"| {s} | {s * 0.5} min | {5 - s * 0.5} min |\n" for s in range(1, 6)
    )
    return (
        f"---\ntitle: Topic {index}\nsummary: {sentence(rng)}\norder: {index}\n"
        f'reviewed: 2026-11-01\nsources:\n  - "Author A. A paper {index}. Journal. 2024. '
        f'<https://example.org/{index}>"\n---\n{paragraph(rng)}\n\n'
        + "\n".join(sections)
        + f"\n!!! tip\n    {sentence(rng)}\n\n!!! red-flag\n    {sentence(rng)}\n\n{table}"
    )


def make_project(
    root: Path, pages: int, *, seed: int = 7, languages: tuple[str, ...] = ("en",)
) -> Path:
    """Write a project with `pages` topic pages into `root` (replacing what was there); each
    language after the first gets its own `pages` pages in `content/<language>/`."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "content" / "protocols", root / "content" / "protocols")
    shutil.copy(REPO / "content" / "injury-sites.yaml", root / "content" / "injury-sites.yaml")
    listed = ", ".join(f'"{language}"' for language in languages)
    (root / "site.toml").write_text(
        SETTINGS.replace(
            'base_url = "https://bench.example/"\n',
            f'base_url = "https://bench.example/"\nlanguages = [{listed}]\n',
        )
    )
    rng = random.Random(seed)
    for folder in ["", *(f"{language}/" for language in languages[1:])]:
        (root / "content" / folder).mkdir(parents=True, exist_ok=True)
        for index in range(pages):
            (root / "content" / f"{folder}page-{index:04d}.md").write_text(page(index, pages, rng))
    return root
