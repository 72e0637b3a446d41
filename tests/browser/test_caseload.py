"""The private caseload page, printed by Chromium: one A4 page per 25 patients."""

from __future__ import annotations

import datetime as dt
import io
import re
import textwrap

import pypdf
import pytest

from ..test_caseload import greens, patient_file
from .conftest import caseload_folder, copy_project, serve_folder

pytestmark = pytest.mark.browser

A4 = (595, 842)  # points, as Chromium writes an A4 page
NAMES = ["Alexandra Montgomery-Wilson", "Bo Li", "Oluwaseun Adebayo-Okonkwo", "Marie Dupont"]
SITES = ["posteromedial-tibia", "fibula", "metatarsal-shaft", "femoral-shaft"]
NOTED = (
    "{date: 2026-11-20, stage: 5, pain_during: 0, pain_next_morning: 0, note: 'Felt strong all "
    "the way, a little tired on the last block, slept well and no pain the morning after'}"
)
RED = "{date: 2026-11-09, stage: 2, pain_during: 5, pain_next_morning: 4, red_flags: [limp]}"


def caseload_patient(number: int) -> str:
    """A patient of a 50-patient caseload: every state the page shows, names long and short."""
    kind = number % 4
    checkins = {
        0: [],
        1: [*greens(dt.date(2026, 11, 2), [1, 1, 2, 2, 3, 3, 4, 4]), NOTED],
        2: [*greens(dt.date(2026, 11, 2), [1, 1, 2]), RED],
        3: greens(dt.date(2026, 11, 2), [1, 1]),
    }[kind]
    return patient_file(
        f"P{number:03}",
        start="2026-11-02" if kind else "2026-11-30",
        site=SITES[kind],
        checkins=checkins,
        name=NAMES[number % len(NAMES)],
    )


@pytest.fixture(scope="module")
def fifty_patients(tmp_path_factory: pytest.TempPathFactory):
    root = copy_project(tmp_path_factory.mktemp("fifty") / "project")
    patients = root / "patients"
    patients.mkdir()
    for number in range(1, 51):
        (patients / f"P{number:03}.yaml").write_text(textwrap.dedent(caseload_patient(number)))
    server, url = serve_folder(caseload_folder(root, patients))
    yield url
    server.shutdown()
    server.server_close()


def test_fifty_patients_print_on_two_a4_pages(open_tab, fifty_patients):
    tab = open_tab("desktop", base=fifty_patients)
    tab.goto("caseload.html")
    assert tab.page.locator("tbody tr").count() == 50
    pdf = tab.page.pdf(prefer_css_page_size=True, print_background=True)
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2
    for page in pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4
    first, second = (" ".join(page.extract_text().split()) for page in pages)
    assert "Patients 1 to 25 of 50" in first and "Patients 26 to 50 of 50" in second
    assert [len(re.findall(r"\bP\d{3}\b", text)) for text in (first, second)] == [25, 25]
    assert tab.watch.problems() == []
