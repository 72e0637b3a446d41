"""The printouts' page breaks, read back from the PDFs: no page of stranded sources, no
heading at the foot of a page."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest

from .conftest import REPO

FOOTER_TOP = 48.0  # points from the bottom: the running footer sits below (16 mm margin)
SMALL_PRINT = 8.5  # print.css: the sources (8pt) and the notice that ends a handout


def heading_sizes() -> set[float]:
    """The font sizes print.css gives the headings h1, h2 and h3, in points."""
    css = (REPO / "templates" / "pdf" / "print.css").read_text()
    sizes = re.findall(r"^h[123] \{ font-size: ([\d.]+)pt", css, re.MULTILINE)
    assert len(sizes) == 3
    return {float(size) for size in sizes}


def page_lines(page: pypdf.PageObject) -> dict[float, list[tuple[float, str]]]:
    """The page's lines above the footer, by height on the page: (font size, text) runs."""
    lines: dict[float, list[tuple[float, str]]] = {}

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip() and cm and tm:
            y = round(tm[5] * cm[3] + cm[5])
            if y > FOOTER_TOP:
                lines.setdefault(y, []).append((round(size * abs(tm[3] * cm[3]), 1), text))

    page.extract_text(visitor_text=visit)
    return lines


def layout_problems(path: Path, headings: set[float], sources_title: str) -> list[str]:
    """What is wrong with the page breaks of one PDF."""
    problems = []
    for number, page in enumerate(pypdf.PdfReader(path).pages, 1):
        lines = page_lines(page)
        if not lines:
            continue
        body = [
            size
            for runs in lines.values()
            for size, text in runs
            if text.strip() != sources_title and size > SMALL_PRINT
        ]
        if not body:
            problems.append(f"{path.name}: page {number} holds only sources")
        last = lines[min(lines)]
        if all(size in headings for size, _ in last):
            text = "".join(text for _, text in last).strip()
            problems.append(f"{path.name}: page {number} ends with the heading {text!r}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_no_page_holds_only_sources_or_ends_with_a_heading(shipped_handouts, paper):
    root = shipped_handouts(paper)
    handouts = sorted((root / "output" / "site" / "handouts").rglob("*.pdf"))
    assert any(path.name == "booklet.pdf" for path in handouts) and len(handouts) > 5
    problems = [
        problem
        for path in handouts
        for problem in layout_problems(path, heading_sizes(), "Sources")
    ]
    assert problems == []


def test_the_layout_check_finds_a_page_of_sources(scratch):
    sources = "\n".join(f"  - Source {n}. A long citation to fill the page." for n in range(160))
    body = "\n\n".join(f"Line {n} of the text[^1]." for n in range(40))
    scratch.page(
        "long",
        f"---\ntitle: Long\nsources:\n{sources}\n---\n{body}\n\n## Last words\n",
    )
    result = scratch.cli("handouts", "--jobs", "1")
    assert result.exit_code == 0, result.output
    path = scratch.site / "handouts" / "long.pdf"
    problems = layout_problems(path, heading_sizes(), "Sources")
    assert any("holds only sources" in problem for problem in problems), problems
