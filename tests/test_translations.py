"""Each translated page against the English page it translates: the same figures, the same
sources cited, the same protocol blocks, callouts and tables, and links to the same pages."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from generator.content.library import markup_labels
from generator.content.markdown_pipeline import MarkdownPipeline
from generator.content.page_body import PageBody
from generator.content.pages import split_front_matter
from generator.content.plaintext import readable_text
from generator.content.strings import load_strings
from generator.core.yamlio import parse_yaml

from .conftest import REPO

CONTENT = REPO / "content"
LANGUAGES = ("es",)
PAIRS = [
    (language, path.name)
    for language in LANGUAGES
    for path in sorted((CONTENT / language).glob("*.md"))
]

# Digits, maybe grouped or split by ".", "," or a (narrow) no-break space, as either language
# writes them: "1,000" and "1.000" are a thousand, "0.5" and "0,5" a half.
NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f]\d+)*")
SEPARATOR = re.compile(r"[.,\u00a0\u202f]")


def numbers(text: str) -> set[str]:
    """The numbers written as digits in `text`, each in one form ("1000", "0.5")."""
    found: set[str] = set()
    for match in NUMBER.finditer(text):
        groups = SEPARATOR.split(match.group(0))
        if len(groups) == 1:
            found.add(groups[0])
        elif len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:]):
            found.add("".join(groups))  # thousands: no page writes a decimal to 3 places
        elif len(groups) == 2:
            found.add(f"{groups[0]}.{groups[1]}")
        else:
            found.update(groups)
    return found


class Layout(HTMLParser):
    """A page's callouts (their kinds) and tables (the cells of each row), in page order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.callouts: list[str] = []
        self.tables: list[list[int]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "admonition" in classes:
            self.callouts += [kind for kind in classes if kind != "admonition"]
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append(0)
        elif tag in ("th", "td"):
            self.tables[-1][-1] += 1


@dataclass(frozen=True)
class Version:
    """One language's version of a page: its front matter and its converted body."""

    meta: dict[str, Any]
    body: PageBody

    @property
    def text(self) -> str:
        """What a patient reads: the title, the summary and the body without its sources."""
        lead = f"{self.meta['title']} {self.meta.get('summary', '')}"
        return readable_text(self.body.html, lead=lead)

    @property
    def pages_linked(self) -> set[str]:
        return {link.partition("#")[0] for link in self.body.links}


@pytest.fixture(scope="module")
def pipeline() -> MarkdownPipeline:
    # The labels (callout titles, the sources heading) play no part in what is compared.
    return MarkdownPipeline(CONTENT, markup_labels(load_strings(REPO / "templates", "en")))


@pytest.fixture(scope="module")
def read(pipeline: MarkdownPipeline) -> Callable[[Path], Version]:
    """Reads and converts a page file, once per file."""

    @functools.cache
    def version(path: Path) -> Version:
        front, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
        meta = parse_yaml(front, first_line=2)
        return Version(meta, pipeline.render(body, sources=meta.get("sources", ())))

    return version


@dataclass(frozen=True)
class Pair:
    """A translated page and the English page it translates."""

    language: str
    name: str
    english: Version
    translated: Version


@pytest.fixture(params=PAIRS, ids=[f"{language}/{name}" for language, name in PAIRS])
def pair(request: pytest.FixtureRequest, read: Callable[[Path], Version]) -> Pair:
    language, name = request.param
    english = CONTENT / name
    assert english.is_file(), f"content/{language}/{name} translates no page content/{name}"
    return Pair(language, name, read(english), read(CONTENT / language / name))


@pytest.mark.parametrize(
    ("english", "translated"),
    [
        ("1,000 mg", "1000 mg"),
        ("1,300 mg", "1.300 mg"),
        ("2,000 mg", "2\u00a0000 mg"),
        ("run 0.5 minutes", "corra 0,5 minutos"),
        ("5 to 10%", "del 5 al 10 %"),
        ("25(OH)D of 30 ng/mL.", "25(OH)D de 30 ng/mL."),
    ],
)
def test_numbers_read_the_same_in_both_languages(english: str, translated: str) -> None:
    assert numbers(english) == numbers(translated)


def test_numbers_tell_different_figures_apart() -> None:
    assert numbers("1,5 días") == {"1.5"}
    assert numbers("15 días") == {"15"}
    assert numbers("de 4 a 8 horas, 10.") == {"4", "8", "10"}


def test_every_language_has_translated_pages() -> None:
    assert {language for language, _ in PAIRS} == set(LANGUAGES)


def test_every_number_of_the_english_page_is_in_the_translation(pair: Pair) -> None:
    assert numbers(pair.english.text) - numbers(pair.translated.text) == set()


def test_the_translation_cites_the_same_sources(pair: Pair) -> None:
    assert pair.translated.meta.get("sources") == pair.english.meta.get("sources")
    assert pair.translated.body.cited == pair.english.body.cited


def test_the_translation_shows_the_same_protocol_blocks(pair: Pair) -> None:
    assert pair.translated.body.embeds == pair.english.body.embeds


def test_the_translation_has_the_same_callouts_and_tables(pair: Pair) -> None:
    english, translated = Layout(pair.english.body.html), Layout(pair.translated.body.html)
    assert (translated.callouts, translated.tables) == (english.callouts, english.tables)


def test_the_translation_links_the_same_pages_at_their_translated_anchors(
    pair: Pair, read: Callable[[Path], Version]
) -> None:
    assert pair.translated.pages_linked == pair.english.pages_linked
    missing = []
    for link in pair.translated.body.links:
        page, _, anchor = link.partition("#")
        name = page.removesuffix(".html") + ".md" if page else pair.name
        target = CONTENT / pair.language / name
        if not target.is_file() or (anchor and anchor not in read(target).body.anchors):
            missing.append(link)
    assert missing == []
