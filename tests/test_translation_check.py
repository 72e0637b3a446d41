"""Translations stay true: `r2r translations stamp` records the source's version, `r2r check`
warns about a missing or stale translation (and fails on one under --strict), and each page is
measured by its own language's reading formula."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from generator.content.library import markup_labels
from generator.content.markdown_pipeline import MarkdownPipeline
from generator.content.pages import split_front_matter
from generator.content.plaintext import reading_score
from generator.content.strings import load_strings
from generator.core.yamlio import parse_yaml
from generator.outputs.check import check

from .conftest import REPO, Scratch

TRANSLATED = """\
---
# A translator's note stays where it is.
title: Lo básico
summary: Qué es una lesión ósea por estrés.
order: 1
reviewed: 2026-10-01
sources:
  - "Hoenig T, et al. Br J Sports Med. 2023;57(7):427-432. <https://bjsm.bmj.com/content/57/7/427>"
---
## Qué pasa

El hueso se rompe más rápido de lo que se repara[^1]. Descanse y camine.
"""


def bilingual(scratch: Scratch, language: str) -> Scratch:
    settings = scratch.root / "site.toml"
    settings.write_text(
        settings.read_text().replace('languages = ["en"]', f'languages = ["en", "{language}"]')
    )
    scratch.write(f"content/{language}/basics.md", TRANSLATED)
    return scratch


def warnings_of(scratch: Scratch) -> dict[str, list[str]]:
    report = check(scratch.project, today=dt.date(2026, 11, 23))
    return {result.page.path: result.warnings for result in report.pages}


def test_check_warns_about_a_missing_and_an_unstamped_translation(scratch):
    bilingual(scratch, "es")
    found = warnings_of(scratch)
    assert (
        "has no translation in content/es/: translate it, "
        "then run: r2r translations stamp content/es/<page>.md"
    ) in found["content/walking.md"]
    assert (
        "does not say which version of content/basics.md it translates"
        in found["content/es/basics.md"]
    )
    result = scratch.cli("check", "--strict")
    assert result.exit_code == 1
    assert "warning: content/walking.md: has no translation in content/es/" in result.output


def test_stamping_records_the_source_and_keeps_the_rest_of_the_page(scratch, monkeypatch):
    bilingual(scratch, "es")
    page = scratch.root / "content" / "es" / "basics.md"
    page.chmod(0o644)
    monkeypatch.chdir(scratch.root)
    result = scratch.cli("translations", "stamp", "content/es/basics.md")
    assert result.exit_code == 0, result.output
    assert "content/es/basics.md: now translates content/basics.md as it is" in result.output
    digest = hashlib.sha256((scratch.root / "content" / "basics.md").read_bytes()).hexdigest()
    text = page.read_text()
    assert text == TRANSLATED.replace(
        "title: Lo básico\n", f'title: Lo básico\ntranslated_from: "sha256:{digest}"\n'
    )
    assert page.stat().st_mode & 0o777 == 0o644
    assert not any("which version" in w for w in warnings_of(scratch)["content/es/basics.md"])
    again = scratch.cli("translations", "stamp", "content/es/basics.md")
    assert "already translates" in again.output and page.read_text() == text


def test_a_changed_source_makes_its_translation_stale_until_stamped_again(scratch, monkeypatch):
    bilingual(scratch, "es")
    monkeypatch.chdir(scratch.root)
    assert scratch.cli("translations", "stamp", "content/es/basics.md").exit_code == 0
    source = scratch.root / "content" / "basics.md"
    source.write_text(source.read_text().replace("Bone breaks down", "Your bone breaks down"))
    stale = (
        "content/basics.md has changed since it was translated: update the translation, "
        "then run: r2r translations stamp content/es/basics.md"
    )
    assert stale in warnings_of(scratch)["content/es/basics.md"]
    assert scratch.cli("check", "--strict").exit_code == 1
    page = scratch.root / "content" / "es" / "basics.md"
    before = page.read_text()
    assert scratch.cli("translations", "stamp", str(page)).exit_code == 0
    after = page.read_text()
    # the one line changed, in place
    assert [a for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b] == [
        line for line in before.splitlines() if line.startswith("translated_from:")
    ]
    assert stale not in warnings_of(scratch)["content/es/basics.md"]


def test_a_translation_of_no_page_is_a_warning(scratch):
    bilingual(scratch, "es")
    scratch.write("content/es/extra.md", "---\ntitle: Además\n---\nTexto.\n")
    assert (
        "translates no page: there is no content/extra.md"
        in warnings_of(scratch)["content/es/extra.md"]
    )


@pytest.mark.parametrize(
    "name", ["content/basics.md", "content/de/basics.md", "elsewhere/basics.md"]
)
def test_stamping_a_page_that_is_no_translation_is_refused(scratch, monkeypatch, name):
    bilingual(scratch, "es")
    scratch.write(name, TRANSLATED) if not (scratch.root / name).exists() else None
    before = (scratch.root / name).read_bytes()
    monkeypatch.chdir(scratch.root)
    result = scratch.cli("translations", "stamp", name, "content/es/basics.md")
    assert result.exit_code == 2
    assert (
        f"error: {name}: is not a translated page: translations are *.md files in content/es/"
        in result.output
    )
    assert (scratch.root / name).read_bytes() == before
    assert "translated_from" not in (scratch.root / "content" / "es" / "basics.md").read_text()


def test_stamping_a_translation_whose_source_is_missing_names_the_source(scratch, monkeypatch):
    bilingual(scratch, "es")
    scratch.write("content/es/extra.md", "---\ntitle: Además\n---\nTexto.\n")
    monkeypatch.chdir(scratch.root)
    result = scratch.cli("translations", "stamp", "content/es/extra.md")
    assert result.exit_code == 2
    assert "error: content/extra.md: " in result.output


def test_each_language_is_measured_by_its_own_formula(scratch):
    bilingual(scratch, "es")
    report = check(scratch.project, today=dt.date(2026, 11, 23))
    by_path = {result.page.path: result for result in report.pages}
    assert by_path["content/basics.md"].measure == "flesch_kincaid_grade"
    assert by_path["content/es/basics.md"].measure == "fernandez_huerta"
    assert by_path["content/es/basics.md"].score is not None
    assert by_path["content/es/basics.md"].score >= 70
    table = "\n".join(report.summary())
    assert "content/es/basics.md  fernandez_huerta" in table


def test_a_hard_spanish_page_is_warned_about_by_its_index(scratch):
    bilingual(scratch, "es")
    scratch.write(
        "content/es/walking.md",
        "---\ntitle: Caminar\n---\nLa heterogeneidad metodológica considerablemente "
        "significativa de las intervenciones multidisciplinarias de rehabilitación "
        "musculoesquelética imposibilita extraer conclusiones generalizables.\n",
    )
    found = warnings_of(scratch)["content/es/walking.md"]
    assert found[0].startswith("Fernández-Huerta index ") and "is below 70" in found[0]


def test_the_shipped_spanish_pages_read_fairly_easily():
    labels = markup_labels(load_strings(REPO / "templates", "en"))
    content = REPO / "content"
    pipeline = MarkdownPipeline(content / "es", labels, images_dir=content / "images")
    for path in sorted((REPO / "content" / "es").glob("*.md")):
        front, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
        meta = parse_yaml(front)
        html = pipeline.render(body, sources=meta.get("sources", ())).html
        score = reading_score(html, "es", lead=meta.get("summary", ""))
        assert score is not None and score >= 70, (path.name, score)
