"""A site in two languages: each language's pages, home, search, 404 and handouts in its own
folder, every page linked to its counterparts by hreflang, one sitemap listing both.

The second language is the shipped Spanish (its interface text and protocol texts), on a
scratch project; the machinery is the same for any language, and nothing in it names one.
"""

from __future__ import annotations

import io
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from generator.content.library import load_library
from generator.outputs.fingerprints import Digests
from generator.outputs.linkcheck import broken_site_links
from generator.outputs.site import asset_files, render_site

from .conftest import Scratch, output_files

SECOND = "es"
BASE = "https://test-clinic.example/run/"

BASICS_SECOND = """\
---
title: Lo básico
summary: Qué es una lesión ósea por estrés.
order: 1
reviewed: 2026-10-01
sources:
  - "Hoenig T, et al. Br J Sports Med. 2023;57(7):427-432. <https://bjsm.bmj.com/content/57/7/427>"
---
## Qué pasa

El hueso se desgasta más rápido de lo que se repara[^1]. Lea también [caminar](walking.md).
"""


class Head(HTMLParser):
    """A page's `lang`, its hreflang links and its language switch."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = ""
        self.alternates: dict[str, str] = {}
        self.switch: dict[str, str] = {}
        self.current = ""
        self._in_switch = False
        self._current_open = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "html":
            self.lang = attributes.get("lang", "")
        elif tag == "link" and attributes.get("rel") == "alternate":
            self.alternates[attributes["hreflang"]] = attributes["href"]
        elif tag == "ul" and "language-switch" in attributes.get("class", ""):
            self._in_switch = True
        elif self._in_switch and tag == "a":
            self.switch[attributes["hreflang"]] = attributes["href"]
        elif self._in_switch and tag == "span" and attributes.get("aria-current"):
            self.current = attributes["lang"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul":
            self._in_switch = False


@pytest.fixture
def bilingual(scratch: Scratch) -> Scratch:
    """The scratch project with a second language that translates one of its two pages."""
    settings = scratch.root / "site.toml"
    settings.write_text(
        settings.read_text().replace('languages = ["en"]', f'languages = ["en", "{SECOND}"]')
    )
    scratch.write(f"content/{SECOND}/basics.md", BASICS_SECOND)
    return scratch


def built(project: Scratch) -> dict[str, bytes]:
    result = project.cli("build", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return output_files(project.site)


def test_each_language_has_its_own_pages_search_404_and_handouts(bilingual):
    files = built(bilingual)
    for name in (
        "index.html",
        "basics.html",
        "search.html",
        "404.html",
        "search-index.js",
        "handouts/basics.pdf",
        "handouts/booklet.pdf",
    ):
        assert f"{SECOND}/{name}" in files, name
    assert f"{SECOND}/walking.html" not in files  # not translated: not published
    for name in ("index.html", "basics.html", "search.html", "404.html"):
        assert Head(files[f"{SECOND}/{name}"].decode()).lang == SECOND
        assert Head(files[name].decode()).lang == "en"
    assert "sitemap.xml" in files and f"{SECOND}/sitemap.xml" not in files
    text = files[f"{SECOND}/basics.html"].decode()
    assert "Lo básico" in text and "The basics" not in text.split("<main", 1)[1]


def test_every_page_links_its_counterparts_by_hreflang(bilingual):
    files = built(bilingual)
    pages = {"": ["index.html", "basics.html", "walking.html", "search.html", "404.html"]}
    pages[f"{SECOND}/"] = ["index.html", "basics.html", "search.html", "404.html"]
    for folder, names in pages.items():
        for name in names:
            head = Head(files[folder + name].decode())
            address = "" if name == "index.html" else name
            translated = name != "walking.html"
            expected = {"en": BASE + address, "x-default": BASE + address}
            if translated:
                expected[SECOND] = f"{BASE}{SECOND}/{address}"
            assert head.alternates == expected, folder + name
            other = "en" if folder else SECOND
            assert head.current == (SECOND if folder else "en"), folder + name
            # the switch leads to the counterpart, or to the other language's home page
            target = name if translated else "index.html"
            assert head.switch == {other: (f"../{target}" if folder else f"{SECOND}/{target}")}


def test_the_language_switch_names_each_language_in_itself(bilingual):
    files = built(bilingual)
    page = files["basics.html"].decode()
    assert f'lang="{SECOND}">Español</a>' in page
    assert 'lang="en" aria-current="true">English</span>' in page


def test_a_site_of_one_language_has_no_switch_and_no_alternates(scratch):
    files = built(scratch)
    head = Head(files["basics.html"].decode())
    assert head.alternates == {} and head.switch == {} and head.current == ""
    assert not any(name.startswith(f"{SECOND}/") for name in files)


def test_the_sitemap_lists_both_languages_with_their_alternates(bilingual):
    files = built(bilingual)
    spaces = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "x": "http://www.w3.org/1999/xhtml",
    }
    root = ET.fromstring(files["sitemap.xml"])
    entries = {
        url.findtext("s:loc", namespaces=spaces): {
            link.get("hreflang"): link.get("href") for link in url.findall("x:link", spaces)
        }
        for url in root.findall("s:url", spaces)
    }
    second = f"{BASE}{SECOND}/"
    assert set(entries) == {
        BASE,
        BASE + "basics.html",
        BASE + "walking.html",
        second,
        second + "basics.html",
    }
    assert entries[second + "basics.html"] == {
        "en": BASE + "basics.html",
        SECOND: second + "basics.html",
    }
    assert entries[BASE + "walking.html"] == {"en": BASE + "walking.html"}


def test_every_link_of_the_second_language_leads_somewhere(bilingual):
    library = load_library(bilingual.project)
    from generator.outputs.build import environment_of
    from generator.outputs.handouts import handout_documents

    generated = render_site(library, Digests.of(library), None, environment_of(library))
    documents = handout_documents(library, Digests.of(library), environment_of(library))
    files = set(generated) | set(asset_files(library)) | {doc.name for doc in documents}
    pages = {name: data for name, (data, _) in generated.items()}
    broken = list(broken_site_links(pages, files))
    # the translated page links a page that has no translation: the one broken link
    assert broken == [
        (
            f"{SECOND}/basics.html",
            "walking.html",
            "links to 'walking.html', which the site does not have",
        )
    ]


def test_the_second_languages_handouts_are_in_that_language(bilingual):
    files = built(bilingual)
    booklet = PdfReader(io.BytesIO(files[f"{SECOND}/handouts/booklet.pdf"]))
    text = "\n".join(page.extract_text() for page in booklet.pages)
    assert "Lo básico" in text and "The basics" not in text
    assert f"{BASE}{SECOND}/" in text
    handout = PdfReader(io.BytesIO(files[f"{SECOND}/handouts/basics.pdf"]))
    assert f"{BASE}{SECOND}/basics.html" in handout.pages[0].extract_text()


@pytest.mark.slow
def test_rebuilds_per_language_are_exact_and_a_no_change_rebuild_writes_nothing(
    bilingual, tmp_path
):
    built(bilingual)
    again = bilingual.cli("build", "--jobs", "1")
    assert "0 written, 0 removed" in again.output and "handouts: 0 made" in again.output
    page = bilingual.root / "content" / SECOND / "basics.md"
    page.write_text(page.read_text().replace("Lea también", "Lea además"))
    result = bilingual.cli("build", "--jobs", "1")
    # the translated page and its language's search index; its handout and its booklet
    assert "2 written, 0 removed" in result.output, result.output
    assert "handouts: 2 made, 0 failed, 3 up to date" in result.output, result.output
    clean = tmp_path / "clean"
    shutil.copytree(bilingual.root, clean, ignore=shutil.ignore_patterns("output"))
    assert output_files(bilingual.site) == built(Scratch(clean))


def test_a_listed_language_without_pages_is_an_error_naming_its_folder(bilingual):
    shutil.rmtree(bilingual.root / "content" / SECOND)
    result = bilingual.cli("build")
    assert result.exit_code == 2
    assert f"content/{SECOND}/: has no pages" in result.output
    assert not bilingual.site.exists()


def test_a_translated_page_takes_its_pictures_from_the_projects_images(bilingual):
    images = bilingual.root / "content" / "images"
    images.mkdir()
    shutil.copy(
        Path(bilingual.root / "templates" / "static" / "img" / "logo.svg"), images / "a.svg"
    )
    page = bilingual.root / "content" / SECOND / "basics.md"
    page.write_text(page.read_text() + "\n![Un dibujo](../images/a.svg)\n")
    files = built(bilingual)
    assert 'src="../images/a.svg"' in files[f"{SECOND}/basics.html"].decode()
    assert "images/a.svg" in files


def test_the_title_and_description_are_given_per_language(bilingual):
    settings = bilingual.root / "site.toml"
    settings.write_text(
        settings.read_text().replace(
            'title = "Return to running"',
            'title = {en = "Return to running", es = "Volver a correr"}\n'
            'description = {en = "Step by step.", es = "Paso a paso."}',
        )
    )
    files = built(bilingual)
    home = files[f"{SECOND}/index.html"].decode()
    assert "<h1>Volver a correr</h1>" in home and "Return to running" not in home
    assert '<meta name="description" content="Paso a paso.">' in home
    assert "<h1>Return to running</h1>" in files["index.html"].decode()
    booklet = PdfReader(io.BytesIO(files[f"{SECOND}/handouts/booklet.pdf"]))
    assert "Volver a correr" in booklet.pages[0].extract_text()


def test_a_title_without_a_translation_falls_back_and_check_warns(bilingual):
    files = built(bilingual)
    assert "<h1>Return to running</h1>" in files[f"{SECOND}/index.html"].decode()
    result = bilingual.cli("check")
    assert f"warning: site.toml: site.title: has no text in {SECOND}" in result.output


@pytest.mark.slow
def test_the_shipped_site_links_every_page_to_its_counterparts(tmp_path):
    from .conftest import REPO

    for name in ("content", "templates"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "site.toml", tmp_path / "site.toml")
    result = Scratch(tmp_path).cli("site", "--jobs", "1")
    assert result.exit_code == 0, result.output
    site = tmp_path / "output" / "site"
    library = load_library(Scratch(tmp_path).project)
    base = library.settings.site.base_url
    languages = [edition.language for edition in library.editions]
    assert len(languages) > 1
    for edition in library.editions:
        names = ["index.html", "search.html", "404.html", *(p.url for p in edition.pages)]
        for name in names:
            head = Head((site / edition.folder / name).read_text(encoding="utf-8"))
            assert head.lang == edition.language, edition.folder + name
            address = "" if name == "index.html" else name
            expected = {
                other.language: base + other.folder + address
                for other in library.editions
                if name in ("index.html", "search.html", "404.html")
                or other.page(name.removesuffix(".html"))
            }
            expected["x-default"] = base + address
            assert head.alternates == expected, edition.folder + name
            assert set(head.switch) == set(languages) - {edition.language}
