"""Protocols and the injury catalogue as data: validated, and shown as tables on every output."""

from __future__ import annotations

import pytest

from generator.content.injury_sites import load_injury_sites
from generator.content.library import load_library
from generator.content.protocols import load_protocol, load_protocols, protocol_for_tier
from generator.content.strings import load_strings
from generator.core.errors import ContentError
from generator.render.wording import minutes_text, session_text

from .conftest import REPO

WORDS = load_strings(REPO / "templates", "en").protocol


def test_the_shipped_protocols_load():
    protocols = load_protocols(REPO / "content" / "protocols", languages=("en",))
    assert sorted(protocols) == ["day-by-day", "high-risk", "low-risk"]
    low, high, daily = protocols["low-risk"], protocols["high-risk"], protocols["day-by-day"]
    assert [session_text(s, WORDS) for s in low.stages[:2]] == [
        "4 × (run 30 sec, walk 4½ min)",
        "4 × (run 1 min, walk 4 min)",
    ]
    assert [s.minutes for s in low.stages] == [20.0] * 9 + [20.0, 25.0, 30.0]
    assert {s.sessions for s in low.stages} == {2} and {s.sessions for s in high.stages} == {3}
    assert [s.number for s in high.stages if s.gate] == [1, 6, 10]
    # The second gate comes before the first stage with more running than walking.
    assert [s.minutes_of("run") > s.minutes_of("walk") for s in high.stages[4:6]] == [False, True]
    assert daily.rules.rest_days_between_runs == 0
    assert [s.number for s in daily.stages if s.recovery] == [9, 13, 17, 21]
    assert session_text(daily.stages[5], WORDS) == "Walk 15 min, jog 5 min, walk 10 min"


def test_minutes_in_words():
    assert [minutes_text(m, WORDS) for m in (0.5, 1, 4.5, 2.25, 20, 1.2)] == [
        "30 sec",
        "1 min",
        "4½ min",
        "2¼ min",
        "20 min",
        "1.2 min",
    ]


def protocol_problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ContentError) as caught:
        load_protocol(path, "content/protocols/bad.yaml", ("en",))
    return [str(p) for p in caught.value.problems]


def test_invalid_protocols_name_the_file_and_the_stage(tmp_path):
    found = protocol_problems(
        tmp_path,
        """\
title: Bad
rules: {sessions_per_stage: 2, max_pain: 3}
stages:
  - {run: 1, walk: 4, repeats: 4}
  - {}
  - {run: -1, walk: 4}
  - {run: 1, walk: 4, sprint: 2}
  - {run: 1, segments: [{walk: 2}]}
  - segments: [{walk: 2, run: 1}]
""",
    )
    assert found == [
        "content/protocols/bad.yaml: rules.max_pain: unknown key (expected one of: sessions_per_stage, rest_days_between_runs, missed_days, days_per_stage_dropped, traffic_light)",
        "content/protocols/bad.yaml: stages[2]: is empty: give run/walk/jog minutes, segments, or recovery: true",
        "content/protocols/bad.yaml: stages[3].run: must be more than 0 minutes",
        "content/protocols/bad.yaml: stages[4].sprint: unknown key (expected one of: run, walk, jog, repeats, segments, recovery, sessions, gate, surface, note)",
        "content/protocols/bad.yaml: stages[5]: give either run/walk/jog minutes or segments, not both",
        "content/protocols/bad.yaml: stages[6].segments[1]: a segment needs exactly one of walk, jog or run, with its minutes",
    ]


# Empty, cyclic and contradictory protocols: tests/hardening/cases/protocols.yaml.


def test_every_injury_site_maps_to_a_tier_and_a_protocol(scratch):
    library = load_library(scratch.project)
    sites = load_injury_sites(REPO / "content" / "injury-sites.yaml", languages=("en",))
    assert len(sites) == 14
    for key, site in sites.items():
        protocol = protocol_for_tier(library.protocols, site.tier)
        assert protocol is not None and protocol.tier == site.tier, key
    assert protocol_for_tier(library.protocols, sites["femoral-neck"].tier).name == "high-risk"
    assert protocol_for_tier(library.protocols, sites["fibula"].tier).name == "low-risk"
    assert sites["navicular"].return_days == 127


def test_two_protocols_claiming_a_tier_is_an_error(scratch):
    high = (scratch.root / "content" / "protocols" / "high-risk.yaml").read_text()
    scratch.write("content/protocols/also-high.yaml", high)
    with pytest.raises(ContentError) as caught:
        load_library(scratch.project)
    assert [str(p) for p in caught.value.problems] == [
        "content/protocols/: several protocols are made for high-risk sites (also-high, high-risk): mark exactly one of them 'default: true' (protocol: auto picks it)"
    ]


def test_an_unknown_protocol_in_a_page_is_an_error(scratch):
    scratch.page("program", "---\ntitle: Program\n---\n[[protocol:low-rsk]]\n\n[[table:x]]\n")
    with pytest.raises(ContentError) as caught:
        load_library(scratch.project)
    assert [str(p) for p in caught.value.problems] == [
        "content/program.md: has an unknown block [[table:x]] (use protocol)"
    ]
    scratch.page("program", "---\ntitle: Program\n---\n[[protocol:low-rsk]]\n")
    with pytest.raises(ContentError) as caught:
        load_library(scratch.project)
    assert [str(p) for p in caught.value.problems] == [
        "content/program.md: shows [[protocol:low-rsk]], but there is no content/protocols/low-rsk.yaml"
    ]


def test_a_broken_catalogue_is_reported(scratch):
    scratch.write(
        "content/injury-sites.yaml", "Shin Bone:\n  name: x\n  medical_name: y\n  tier: medium\n"
    )
    with pytest.raises(ContentError) as caught:
        load_library(scratch.project)
    assert [str(p) for p in caught.value.problems] == [
        "content/injury-sites.yaml: Shin Bone.tier: must be one of: low, high (got 'medium')"
    ]


PROGRAM = """\
---
title: The program
order: 3
---
## Low-risk sites

[[protocol:low-risk]]

## High-risk sites

[[protocol:high-risk]]
"""


def table_rows(html: str) -> list[list[str]]:
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(html)
    return parser.rows


@pytest.mark.slow
def test_stage_tables_come_from_the_data_on_the_site_and_in_the_handout(scratch):
    from .test_build import pdf_text

    scratch.page("program", PROGRAM)
    assert scratch.cli("build").exit_code == 0
    rows = table_rows((scratch.site / "program.html").read_text())
    assert rows[0] == ["Stage", "Session", "Total time", "Sessions", "Notes"]
    assert rows[1] == ["1", "4 × (run 30 sec, walk 4½ min)", "20 min", "2", ""]
    assert rows[12] == ["12", "Run 30 min", "30 min", "2", "Your clinician plans what comes next."]
    assert rows[14] == [
        "1",
        "4 × (run 30 sec, walk 4½ min)",
        "20 min",
        "3",
        "Clinic review first: A scan shows that the bone has healed.",
    ]
    text = pdf_text(scratch.site / "handouts" / "program.pdf")
    assert "4 × (run 30 sec, walk 4½ min)" in text and "Clinic review first:" in text

    # A clinic that edits a protocol changes every output on the next build.
    low = scratch.root / "content" / "protocols" / "low-risk.yaml"
    low.write_text(
        low.read_text().replace(
            "{run: 0.5, walk: 4.5, repeats: 4}", "{run: 0.5, walk: 2, repeats: 6}"
        )
    )
    assert scratch.cli("build").exit_code == 0
    rows = table_rows((scratch.site / "program.html").read_text())
    assert rows[1] == ["1", "6 × (run 30 sec, walk 2 min)", "15 min", "2", ""]
    assert "6 × (run 30 sec, walk 2 min)" in pdf_text(scratch.site / "handouts" / "program.pdf")
    assert "6 × (run 30 sec, walk 2 min)" in pdf_text(scratch.site / "handouts" / "booklet.pdf")


BOTH = ("en", "es")


def test_patient_facing_text_is_given_per_language(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(
        "title: {en: Run/walk, es: Correr y caminar}\n"
        "stages:\n"
        "  - {run: 1, walk: 4, note: {en: Go easy., es: Con calma.}}\n"
    )
    english = load_protocol(path, "content/protocols/two.yaml", BOTH)
    spanish = english.in_language("es")
    assert (english.title, english.stages[0].note) == ("Run/walk", "Go easy.")
    assert (spanish.title, spanish.stages[0].note) == ("Correr y caminar", "Con calma.")
    assert spanish.in_language("en") is english
    assert spanish.stages[0].segments == english.stages[0].segments


def test_a_text_missing_a_language_of_the_site_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "title: {en: Run/walk, es: Correr y caminar}\n"
        "surface: A track.\n"
        "stages:\n"
        "  - {run: 1, walk: 4, gate: {es: Una prueba de imagen.}}\n"
        "  - {run: 2, walk: 3, note: {en: Easy., fr: Doucement.}}\n"
    )
    with pytest.raises(ContentError) as caught:
        load_protocol(path, "content/protocols/bad.yaml", BOTH)
    assert [str(p) for p in caught.value.problems] == [
        "content/protocols/bad.yaml: surface: has no text in es (give it per language, like {en: ..., es: ...})",
        "content/protocols/bad.yaml: stages[1].gate: has no text in en (give it per language, like {en: ..., es: ...})",
        "content/protocols/bad.yaml: stages[2].note: has no text in es (give it per language, like {en: ..., es: ...})",
    ]


def test_an_injury_site_without_a_name_in_a_language_of_the_site_is_an_error(tmp_path):
    path = tmp_path / "injury-sites.yaml"
    path.write_text(
        "fibula:\n"
        "  name: {en: the thin bone of the lower leg, es: el hueso fino de la pierna}\n"
        "  medical_name: fibula\n"
        "  tier: low\n"
    )
    with pytest.raises(ContentError) as caught:
        load_injury_sites(path, languages=BOTH)
    assert [str(p) for p in caught.value.problems] == [
        "content/injury-sites.yaml: fibula.medical_name: has no text in es (give it per language, like {en: ..., es: ...})"
    ]


def test_the_shipped_protocols_and_sites_have_every_language_of_the_site():
    protocols = load_protocols(REPO / "content" / "protocols", languages=BOTH)
    sites = load_injury_sites(REPO / "content" / "injury-sites.yaml", languages=BOTH)
    for protocol in protocols.values():
        spanish = protocol.in_language("es")
        assert spanish.title != protocol.title
        assert [bool(s.note) for s in spanish.stages] == [bool(s.note) for s in protocol.stages]
        assert [bool(s.gate) for s in spanish.stages] == [bool(s.gate) for s in protocol.stages]
    assert sites["fibula"].in_language("es").medical_name == "peroné"
    assert all(s.in_language("es").name != s.name for s in sites.values())


def test_the_protocol_table_of_a_page_is_in_the_language_rendered():
    from generator.core.project import Project
    from generator.render.environment import make_environment

    library = load_library(Project.at(REPO))
    env = make_environment(library, keep_compiled=False)
    page = env.from_string("{{ body | with_embeds }}")
    body = '<div data-embed="protocol:low-risk"></div>'
    english = page.render(body=body)
    spanish = page.render(body=body, t=load_strings(REPO / "templates", "es"))
    assert "Your first run without breaks." in english and "Stage" in english
    assert "Su primera carrera sin pausas." in spanish and "Etapa" in spanish
    assert "Your first run" not in spanish and "Programa de correr y caminar" in spanish


def test_only_the_pipelines_empty_block_becomes_a_protocol_table():
    from generator.core.project import Project
    from generator.render.environment import make_environment

    env = make_environment(load_library(Project.at(REPO)), keep_compiled=False)
    page = env.from_string("{{ body | with_embeds }}")
    kept = [
        '<div data-embed="protocol:low-risk">text</div>',  # not empty: not ours
        '<div data-embed="picture:low-risk"></div>',  # no such kind
        '<div data-embed="protocol"></div>',  # no name
        '<p>&lt;div data-embed="protocol:low-risk"&gt;&lt;/div&gt;</p>',  # text about one
    ]
    for body in kept:
        assert page.render(body=body) == body
    two = '<p>a</p><div data-embed="protocol:low-risk"></div><p>b</p>' * 2
    rendered = page.render(body=two)
    assert rendered.count("<table") == 2 and rendered.count("<p>a</p>") == 2
    assert "data-embed" not in rendered
