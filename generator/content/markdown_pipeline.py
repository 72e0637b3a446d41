"""The one Markdown pipeline: Markdown in, sanitised HTML out.

Content is written by clinic staff and published to the public web, so its HTML is never
trusted. Python-Markdown converts it with its own extensions: tables, heading anchors (toc),
"red flag"/"tip"/"note" callouts (admonition), typographic quotes and dashes (smarty), fenced
code and sane lists. Two small extensions of ours work on its element tree: the page's
numbered sources (cited as `[^n]`, listed from the front matter) and `[[protocol:NAME]]`
blocks. The HTML is then cleaned by nh3 against an allow-list: no scripts, no event handlers,
no styles, no frames or forms, no `javascript:` or `data:` links. A reference that would make a
build reach outside the project (a `file:` URL, a picture from the internet, a picture outside
`content/images/`) is an error naming the page.

Python-Markdown reads nested blocks recursively and scans every unclosed `[` to the end of its
paragraph, so a page nested too deeply, or with too many brackets left open, is refused before
it is converted (`shape_problems`).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from generator.content.page_body import (
    CALLOUTS,
    EMBED_KINDS,
    Heading,
    MarkupError,
    PageBody,
    sanitise,
)
from generator.content.plaintext import readable_text

_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.I)
_EXTENSIONS = ["tables", "toc", "admonition", "smarty", "sane_lists", "fenced_code"]
_CITATION = re.compile(r"\[\^([^\]\s]+)\](:?)")
_DIRECTIVE = re.compile(r"\[\[\s*([a-z]+)\s*:\s*([A-Za-z0-9-]+)\s*\]\]")
_TYPOGRAPHIC = re.compile(r"['\"]|--|\.\.\.")  # what smarty changes
# Where an inline pattern can start: escapes, code, links, pictures, citations, raw HTML and
# autolinks, entities, emphasis, hard line breaks, and what smarty changes.
_INLINE = re.compile(r"[\\`\[<&*_'\"]|--|\.\.\.|  \n")
_REFERENCE_MARK = "fnref"  # a citation not yet numbered; toc leaves `fnref` sups out of titles

# Limits on what Python-Markdown reads in time and stack that grow faster than the page.
MAX_NESTING = 40  # lists, quotes and indented blocks inside each other
MAX_OPEN_BRACKETS = 40  # `[` still open at once in a paragraph, or never closed there
# Each heading or rule is split off the front of its block and the rest read again: the work
# is (headings and rules in a block) x (its lines), summed over the blocks. Four million is
# about a second; real pages, with a blank line after each heading, need a few hundred.
MAX_SPLIT_WORK = 4_000_000
_BLOCK_GAP = re.compile(r"\n[ \t]*\n")
_SPLIT_LINE = re.compile(r"^(?:#{1,6}|[ ]{0,3}(?:[-*_][ \t]*){3,}$|[=-]+[ \t]*$)", re.M)
_CONTAINER = re.compile(r"(?:>[ \t]*|(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]+|$))*")
_BRACKET = re.compile(r"\\.|[\[\]]|\n[ \t]*(?=\n)")
NESTING_MESSAGE = "nests lists, quotes or other blocks too deeply to convert; flatten them"


@dataclass
class _Findings:
    problems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    images: list[Path] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)


@dataclass
class _Conversion:
    """What our extensions read and note while one page converts (see `_Ours.start`)."""

    findings: _Findings
    sources: Sequence[str]
    source_list: ET.Element | None = None
    references: dict[int, int] = field(default_factory=dict)  # source number: times cited


class MarkdownPipeline:
    """Converts page bodies; build one per process and reuse it for every page."""

    def __init__(
        self, content_dir: Path, labels: Mapping[str, str], *, images_dir: Path | None = None
    ) -> None:
        """`labels`: interface text for "sources", "backlink" and each callout kind; pictures
        come from `images_dir` (default `content_dir/images`: a translation's folder uses the
        project's pictures, written `../images/<name>`)."""
        self.content_dir = content_dir.resolve()
        self.images_dir = (images_dir or self.content_dir / "images").resolve()
        self.labels = labels
        self._ours = _Ours(labels)
        self._md = markdown.Markdown(
            extensions=[*_EXTENSIONS, self._ours],
            extension_configs={
                "tables": {"use_align_attribute": True},
                # No `[TOC]` marker: the templates place the contents (and cmark left the
                # marker as text); looking for it in every paragraph cost 4% of a page.
                "toc": {"marker": ""},
            },
            output_format="html",
        )

    def render(self, text: str, *, sources: Sequence[str] = ()) -> PageBody:
        """Convert one page body; `sources` become its numbered source list.

        The text cites source n as `[^n]`. Raises `MarkupError` listing every problem.
        """
        shape = shape_problems(text)
        if shape:
            raise MarkupError(shape)
        found = _Findings()
        cited = self._citations(text, len(sources), found)
        self._md.reset()
        self._ours.start(_Conversion(found, sources))
        raw = self._md.convert(text) + "\n"  # as the page templates expect it
        clean = sanitise(raw, lambda tag, attr, value: self._filter(tag, attr, value, found))
        if found.problems:
            raise MarkupError(list(dict.fromkeys(found.problems)))
        headings = _headings(getattr(self._md, "toc_tokens", []))
        return PageBody(
            html=clean,
            text=readable_text(clean),
            headings=tuple(h for h in headings if h.level in (2, 3)),
            links=tuple(dict.fromkeys(found.links)),
            anchors=frozenset(found.anchors),
            images=tuple(dict.fromkeys(found.images)),
            cited=frozenset(cited),
            embeds=tuple(found.embeds),
        )

    @staticmethod
    def _citations(text: str, count: int, found: _Findings) -> set[int]:
        cited = set()
        for match in _CITATION.finditer(text):
            label, definition = match.groups()
            if definition:
                found.problems.append(
                    f"defines a footnote [^{label}]; list sources in the front "
                    "matter 'sources' instead and cite them as [^1], [^2], ..."
                )
            elif not label.isdigit() or not 1 <= int(label) <= count:
                found.problems.append(
                    f"cites [^{label}] but the page lists {count} source(s) in its front matter"
                )
            else:
                cited.add(int(label))
        return cited

    def _filter(self, tag: str, attr: str, value: str, found: _Findings) -> str | None:
        if attr == "id":
            found.anchors.add(value)
        elif tag == "a" and attr == "href":
            return self._link(value, found)
        elif tag == "img" and attr == "src":
            return self._image(value, found)
        elif attr == "data-embed":
            if not re.fullmatch(rf"(?:{'|'.join(EMBED_KINDS)}):[a-z0-9-]+", value):
                return None
            found.embeds.append(value)
        return value

    def _link(self, href: str, found: _Findings) -> str | None:
        parts = urlsplit(href)
        if parts.scheme == "file":
            found.problems.append(
                f"links to a file on this computer ({href}); "
                "nothing outside the project may be published"
            )
            return None
        if parts.scheme == "data":
            return None
        if parts.scheme or parts.netloc:
            return href
        path = parts.path
        if path.endswith(".md"):
            path = path.removeprefix("./")[: -len(".md")] + ".html"
        target = path + (f"#{parts.fragment}" if parts.fragment else "")
        found.links.append(target)
        return target

    def _image(self, src: str, found: _Findings) -> str | None:
        parts = urlsplit(src)
        if _DATA_IMAGE.fullmatch(src):
            return src
        if parts.scheme or parts.netloc or src.startswith("/"):
            found.problems.append(
                f"uses a picture from outside the project ({src}); put the file "
                "in content/images/ and write images/<name>"
            )
            return None
        path = (self.content_dir / unquote(parts.path)).resolve()
        if not path.is_relative_to(self.images_dir):
            found.problems.append(f"uses a picture outside content/images/ ({src})")
            return None
        if not path.is_file():
            found.problems.append(f"uses a picture that does not exist ({src})")
            return None
        found.images.append(path)
        return src


def shape_problems(text: str) -> list[str]:
    """What makes a page too deep or too bracketed for the converter, checked in one pass."""
    problems = []
    if max(map(_depth, text.split("\n")), default=0) > MAX_NESTING:
        problems.append(NESTING_MESSAGE)
    if _split_work(text) > MAX_SPLIT_WORK:
        problems.append(
            "has too many headings or rules without a blank line between them to convert; "
            "put a blank line after each heading"
        )
    if _open_brackets(text) > MAX_OPEN_BRACKETS:
        problems.append(
            f"leaves more than {MAX_OPEN_BRACKETS} '[' open in one paragraph; close each "
            "with ']', or write \\[ for a bracket that is only text"
        )
    return problems


def _depth(line: str) -> int:
    """How many blocks a line opens or sits in: indents of four, quotes and list markers."""
    stripped = line.lstrip(" \t")
    indent = len(line[: len(line) - len(stripped)].expandtabs(4)) // 4
    markers = _CONTAINER.match(stripped)
    prefix = markers.group(0) if markers else ""
    return indent + prefix.count(">") + len(prefix.replace(">", " ").split())


def _split_work(text: str) -> int:
    """How much rereading the converter's block splitting takes (see `MAX_SPLIT_WORK`)."""
    return sum(
        len(_SPLIT_LINE.findall(block)) * (block.count("\n") + 1)
        for block in _BLOCK_GAP.split(text)
    )


def _open_brackets(text: str) -> int:
    """The most `[` open at once in a paragraph, counting those never closed there."""
    most = open_now = 0
    for match in _BRACKET.finditer(text):
        token = match.group(0)
        if token == "[":
            open_now += 1
            most = max(most, open_now)
        elif token == "]":
            open_now = max(open_now - 1, 0)
        elif token[0] == "\n":
            open_now = 0
    return most


def _headings(tokens: Sequence[Mapping[str, object]]) -> Iterator[Heading]:
    """Every heading of the page in reading order, from toc's nested tokens."""
    for token in tokens:
        title = " ".join(html.unescape(str(token["name"])).split())
        yield Heading(int(str(token["level"])), str(token["id"]), title)
        children = token.get("children", [])
        yield from _headings(children if isinstance(children, list) else [])


def _reference_id(number: int, times: int) -> str:
    return f"fnref:{number}" if times == 1 else f"fnref{times}:{number}"


class _Ours(Extension):
    """Our extensions to Python-Markdown: sources, citations, blocks and callout checks."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        super().__init__()
        self.labels = labels
        self.conversion = _Conversion(_Findings(), ())

    def start(self, conversion: _Conversion) -> None:
        """Hold what the next page's conversion reads and notes (one page at a time)."""
        self.conversion = conversion

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        """Register our processors around Python-Markdown's own."""
        # smarty's own pass runs after "prettify" has given every block a tail, and each tail
        # costs it a scan of the block's siblings: time growing with the square of a page's
        # blocks (50,000 headings: minutes). Before "prettify" there are no such tails.
        smarty = md.treeprocessors["smarty"]
        md.treeprocessors.deregister("smarty")
        md.treeprocessors.register(smarty, "smarty", 19)
        md.treeprocessors.register(_PlainText(md, _INLINE), "r2r-plain-markdown", 20.5)
        md.treeprocessors.register(_PlainText(md, _TYPOGRAPHIC), "r2r-plain-text", 19.5)
        md.parser.blockprocessors.register(_EmbedBlock(md.parser, self), "r2r-embed", 15)
        md.treeprocessors.register(_SourceList(md, self), "r2r-sources", 25)
        md.inlinePatterns.register(_Citation(self), "r2r-citation", 175)
        md.treeprocessors.register(_Shape(md, self), "r2r-shape", 15)


class _PlainText(Treeprocessor):
    """Marks as final the text that an inline pass cannot change (none of its patterns can
    start in it), so that the pass, which tries each of its patterns on every piece of text,
    skips it. Run before the inline Markdown (`_INLINE`) and before smarty (`_TYPOGRAPHIC`);
    together a third of a bench page's conversion."""

    def __init__(self, md: markdown.Markdown, changes: re.Pattern[str]) -> None:
        super().__init__(md)
        self.changes = changes

    def run(self, root: ET.Element) -> None:
        """Mark each text and tail in which the pass would find nothing."""
        changes = self.changes
        for element in root.iter():
            if element.text and not changes.search(element.text):
                element.text = AtomicString(element.text)
            if element.tail and not changes.search(element.tail):
                element.tail = AtomicString(element.tail)


class _EmbedBlock(BlockProcessor):
    """A paragraph holding only `[[protocol:low-risk]]` becomes an empty marked block that the
    templates fill with the protocol's table, generated from its data."""

    def __init__(self, parser: BlockParser, ours: _Ours) -> None:
        super().__init__(parser)
        self.ours = ours

    def test(self, parent: ET.Element, block: str) -> bool:
        """A block that is one directive, where a paragraph would be made."""
        return not self.parser.state.isstate("list") and bool(_DIRECTIVE.fullmatch(block.strip()))

    def run(self, parent: ET.Element, blocks: list[str]) -> None:
        """Replace the directive by its marked block, or keep it as text and note why."""
        block = blocks.pop(0)
        match = _DIRECTIVE.fullmatch(block.strip())
        assert match is not None  # `test` matched it
        kind, name = match.group(1), match.group(2).lower()
        if kind in EMBED_KINDS:
            ET.SubElement(parent, "div", {"data-embed": f"{kind}:{name}"})
            return
        self.ours.conversion.findings.problems.append(
            f"has an unknown block [[{kind}:{name}]] (use {', '.join(EMBED_KINDS)})"
        )
        ET.SubElement(parent, "p").text = block.strip()


class _SourceList(Treeprocessor):
    """The numbered source list from the front matter, added before inline Markdown is read
    (so each source may hold emphasis and links, and nothing that makes a block)."""

    def __init__(self, md: markdown.Markdown, ours: _Ours) -> None:
        super().__init__(md)
        self.ours = ours

    def run(self, root: ET.Element) -> None:
        """Append the list when the page has sources."""
        conversion = self.ours.conversion
        if not conversion.sources:
            return
        box = ET.SubElement(root, "div", {"class": "footnote"})
        title = ET.SubElement(box, "h2", {"id": "sources"})
        title.text = AtomicString(self.ours.labels["sources"])
        items = ET.SubElement(box, "ol")
        for number, source in enumerate(conversion.sources, 1):
            item = ET.SubElement(items, "li", {"id": f"fn:{number}"})
            ET.SubElement(item, "p").text = " ".join(source.split())
        conversion.source_list = items


class _Citation(InlineProcessor):
    """`[^n]` becomes a link to source n; `_Shape` numbers the links in reading order."""

    def __init__(self, ours: _Ours) -> None:
        super().__init__(r"\[\^([0-9]+)\]")
        self.ours = ours

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[ET.Element | None, int | None, int | None]:
        """A citation of a listed source; any other is left as text (and an error)."""
        number = int(m.group(1))
        if not 1 <= number <= len(self.ours.conversion.sources):
            return None, None, None
        sup = ET.Element("sup", {"id": _REFERENCE_MARK})
        link = ET.SubElement(sup, "a", {"class": "footnote-ref", "href": f"#fn:{number}"})
        link.text = AtomicString(str(number))
        return sup, m.start(0), m.end(0)


class _Shape(Treeprocessor):
    """Checks and shapes the converted tree: citations numbered in reading order with their
    backlinks, table alignment as classes, callouts checked and titled, no top heading."""

    def __init__(self, md: markdown.Markdown, ours: _Ours) -> None:
        super().__init__(md)
        self.ours = ours

    def run(self, root: ET.Element) -> None:
        """Shape the whole page, then link each source back to where it is cited."""
        conversion = self.ours.conversion
        for element in root.iter():
            if element.tag == "sup" and element.get("id") == _REFERENCE_MARK:
                number = int(element[0].text or "0")
                times = conversion.references[number] = conversion.references.get(number, 0) + 1
                element.set("id", _reference_id(number, times))
            elif element.tag in ("th", "td"):
                # HTML5 has no align attribute, and the site's CSP forbids style attributes.
                align = element.attrib.pop("align", None)
                if align in ("left", "center", "right"):
                    element.set("class", f"align-{align}")
            elif element.tag == "div" and "admonition" in element.get("class", "").split():
                self._callout(element)
            elif element.tag == "h1":
                conversion.findings.problems.append(
                    "uses a top-level heading ('# '); the page title is the "
                    "top heading, so start sections with '## '"
                )
        if conversion.source_list is not None:
            self._backlinks(conversion.source_list, conversion.references)

    def _callout(self, box: ET.Element) -> None:
        kinds = [c for c in box.get("class", "").split() if c != "admonition"]
        if len(kinds) != 1 or kinds[0] not in CALLOUTS:
            self.ours.conversion.findings.problems.append(
                f"has an unknown callout '!!! {' '.join(kinds)}' (use {', '.join(CALLOUTS)})"
            )
            return
        box.set("role", "note")
        title = box.find("p")
        untitled = title is not None and title.text == kinds[0].capitalize() and not len(title)
        if title is not None and untitled and title.get("class") == "admonition-title":
            title.text = self.ours.labels.get(kinds[0], title.text)

    def _backlinks(self, items: ET.Element, references: Mapping[int, int]) -> None:
        label = self.ours.labels["backlink"]
        for number, item in enumerate(items, 1):
            times = references.get(number, 0)
            if not times:
                continue
            paragraph = item[0]
            if len(paragraph):
                paragraph[-1].tail = (paragraph[-1].tail or "") + "\xa0"
            else:
                paragraph.text = (paragraph.text or "") + "\xa0"
            for time in range(1, times + 1):
                link = ET.SubElement(
                    paragraph,
                    "a",
                    {
                        "class": "footnote-backref",
                        "href": f"#{_reference_id(number, time)}",
                        "title": label,
                    },
                )
                link.text = AtomicString("\u21a9")
