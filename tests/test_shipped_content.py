"""The shipped program: what its pages tell a patient, and every handout on two pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pypdf
import pytest

from generator.content.library import Library, load_library
from generator.core.project import Project

from .conftest import REPO

# The traffic light's words, as the monitoring page, the plans and the code all give them.
RED_SIGNS = [
    "pain at the injury site of 4 out of 10 or more",
    "pain lasting more than 24 hours",
    "pain when walking, at rest or at night",
    "a limp",
    "new tenderness over the bone",
    "swelling",
    "deep groin or front-of-hip pain",
]
RED_NOTICE = ", ".join(RED_SIGNS[:-1]).capitalize() + ", or " + RED_SIGNS[-1] + "."
TRAFFIC_LIGHT = [
    ["Light", "What you notice", "What to do"],
    [
        "Green",
        "No pain at the injury site during the run, that evening or the next morning. "
        "Muscle soreness only, gone within 24 hours.",
        "Carry on. After your stage's sessions, move up one stage.",
    ],
    [
        "Amber",
        "Mild pain at the injury site during the run (up to 3 out of 10), or soreness still "
        "there the next morning that settles within 24 hours.",
        "Stop the session. Rest 1 to 2 days. Then repeat the stage before.",
    ],
    [
        "Red",
        RED_NOTICE,
        "Stop running and call the clinic. Your plan pauses until your clinician restarts it.",
    ],
]

KEEP_WALKING = re.compile(
    r"\b(keep|carry on|continue|go on)\s+(on\s+)?walking\b"
    r"|\bwalk(ing)?\s+(through|despite|with)\s+(the\s+|any\s+)?pain\b"
    r"|\bwalk\s+it\s+off\b",
    re.IGNORECASE,
)
WALKING_PAIN = re.compile(
    r"pain when walking|walking (hurts|causes pain)|walking or daily tasks hurt", re.IGNORECASE
)


class PatientText(HTMLParser):
    """A page's text as a patient reads it (source numbers left out), block by block.

    `sections` holds the blocks between two headings, `tables` the cells of each table row
    by row, `red_flags` the items of each red-flag box.
    """

    BLOCKS = frozenset({"p", "li", "td", "th", "h2", "h3", "h4"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: list[list[str]] = [[]]
        self.tables: list[list[list[str]]] = []
        self.red_flags: list[list[str]] = []
        self._in_red_flag: list[bool] = []  # one entry per open <div>
        self._parts: list[str] | None = None
        self._in_sup = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "sup":
            self._in_sup += 1
        elif tag == "div":
            red_flag = "red-flag" in (dict(attrs).get("class") or "").split()
            self._in_red_flag.append(red_flag)
            if red_flag:
                self.red_flags.append([])
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        if tag in ("h2", "h3", "h4"):
            self.sections.append([])
        if tag in self.BLOCKS:
            self._parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "sup":
            self._in_sup -= 1
        elif tag == "div":
            self._in_red_flag.pop()
        elif tag in self.BLOCKS and self._parts is not None:
            # smarty sets typographic apostrophes; the words are the same.
            text = " ".join("".join(self._parts).split()).replace("’", "'")
            self._parts = None
            self.sections[-1].append(text)
            if tag in ("td", "th"):
                self.tables[-1][-1].append(text)
            elif tag == "li" and any(self._in_red_flag):
                self.red_flags[-1].append(text)

    def handle_data(self, data: str) -> None:
        if self._parts is not None and not self._in_sup:
            self._parts.append(data)


@pytest.fixture(scope="module")
def shipped() -> Library:
    return load_library(Project.at(REPO))


def texts(library: Library) -> Iterator[tuple[str, str]]:
    """Every text a patient reads in the pages and protocols, with where it is."""
    for page in library.pages:
        for section in PatientText(page.body.html).sections:
            for block in section:
                yield page.path, block
    for name, protocol in library.protocols.items():
        stages = [(s.gate, s.note, s.surface) for s in protocol.stages]
        parts = [protocol.title, protocol.summary, protocol.surface, protocol.source]
        for part in [*parts, *(text for stage in stages for text in stage)]:
            yield f"content/protocols/{name}.yaml", part


def test_the_traffic_light_table_holds_exactly_the_three_lights(shipped):
    page = shipped.page("monitoring-symptoms")
    assert page is not None
    tables = PatientText(page.body.html).tables
    assert [table for table in tables if table[0] == TRAFFIC_LIGHT[0]] == [TRAFFIC_LIGHT]


def test_every_red_flag_box_lists_the_red_light_signs(shipped):
    boxes = {page.path: PatientText(page.body.html).red_flags for page in shipped.pages}
    assert boxes["content/monitoring-symptoms.md"], "the monitoring page has a red-flag box"
    assert {path: b for path, b in boxes.items() if any(box != RED_SIGNS for box in b)} == {}


def test_no_page_tells_the_patient_to_keep_walking_through_pain(shipped):
    assert [(where, text) for where, text in texts(shipped) if KEEP_WALKING.search(text)] == []


def test_pain_when_walking_always_comes_with_a_call_to_the_clinic(shipped):
    found = {}
    for page in shipped.pages:
        for section in PatientText(page.body.html).sections:
            if any(WALKING_PAIN.search(block) for block in section):
                found[page.path] = found.get(page.path, True) and any(
                    "call the clinic" in block for block in section
                )
    assert found.get("content/readiness.md") is True  # the walking test says so
    assert {path: ok for path, ok in found.items() if not ok} == {}


def test_a_medical_name_is_only_the_name_of_the_site(shipped):
    # The plan prints it in brackets after the site's name: "(femoral neck)".
    assert shipped.injury_sites["femoral-neck"].medical_name == "femoral neck"
    brackets = {k: s.medical_name for k, s in shipped.injury_sites.items() if "(" in s.medical_name}
    assert brackets == {}


def test_every_injury_site_says_where_its_tier_comes_from(shipped):
    assert [key for key, site in shipped.injury_sites.items() if not site.source] == []


def test_sources_are_numbered_in_the_order_the_text_first_cites_them(shipped):
    def first_citations(html: str) -> list[int]:
        numbers = [int(n) for n in re.findall(r'class="footnote-ref" href="#fn:(\d+)"', html)]
        return list(dict.fromkeys(numbers))

    orders = {page.path: first_citations(page.body.html) for page in shipped.pages}
    assert {path: order for path, order in orders.items() if order != sorted(order)} == {}


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_every_handout_fits_on_two_pages_and_the_booklet_holds_them_all(shipped_handouts, paper):
    root = shipped_handouts(paper)
    handouts = root / "output" / "site" / "handouts"
    pages = load_library(Project.at(root)).pages
    lengths = {
        page.slug: len(pypdf.PdfReader(handouts / f"{page.slug}.pdf").pages) for page in pages
    }
    assert {slug: n for slug, n in lengths.items() if n > 2} == {}
    # Topics follow one another (see tests/test_print_layout.py): each title, in order.
    titles = {page.title for page in pages}
    lines = [
        line.strip()
        for p in pypdf.PdfReader(handouts / "booklet.pdf").pages[2:]  # after the contents
        for line in p.extract_text().splitlines()
    ]
    assert [line for line in lines if line in titles] == [page.title for page in pages]


def test_the_plan_words_the_traffic_light_as_the_page_does(shipped):
    from generator.content.injury_sites import InjurySite
    from generator.render.environment import or_list
    from generator.render.wording import red_flag_signs

    plan, rules = shipped.strings.plan, shipped.protocols["low-risk"].rules.traffic_light
    hip = InjurySite(name="the hip", medical_name="femoral neck", tier="high", region="hip")
    red_pain = plan.traffic.red.pain.format(n=rules.red_pain_from)
    ours = [
        ["Light", "What you notice", "What to do"],
        ["Green", plan.traffic.green.notice, plan.traffic.green.do],
        [
            "Amber",
            plan.traffic.amber.notice.format(n=rules.amber_pain_up_to),
            plan.traffic.amber.do,
        ],
        [
            "Red",
            or_list([red_pain, *red_flag_signs(hip, plan)], shipped.strings) + ".",
            plan.traffic.red.do,
        ],
    ]
    typographic = str.maketrans("’", "'")
    assert [[cell.translate(typographic) for cell in row] for row in ours] == TRAFFIC_LIGHT
