"""The one Markdown pipeline: Markdown in, sanitised HTML out.

Content is written by clinic staff and published to the public web, so its HTML is never
trusted. Markdown is converted with tables, heading anchors, "red flag"/"tip"/"note" callouts
and footnotes (the page's sources), then cleaned by nh3 against an allow-list: no scripts,
no event handlers, no styles, no frames or forms, no `javascript:` or `data:` links. A
reference that would make a build reach outside the project (a `file:` URL, a picture from
the internet, a picture outside `content/images/`) is an error naming the page.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor

from .markup import CALLOUTS, EMBED_KINDS, Heading, Markup, MarkupError
from .plaintext import readable_text

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
_ATTRIBUTES = {
    "*": {"id"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "div": {"role", "data-embed"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_CLASSES = {
    "div": {"admonition", "footnote", *CALLOUTS},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
    "td": {"align-left", "align-center", "align-right"},
    "th": {"align-left", "align-center", "align-right"},
}
# `file` and `data` are let through the scheme filter only so that our attribute filter can
# see them: it turns them into errors (file:) or drops them (data: links).
_SCHEMES = {"http", "https", "mailto", "tel", "file", "data"}
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.I)
# Typographic quotes, dashes and ellipses. Python-Markdown's smarty extension does this with
# inline patterns that cost more than half of the conversion; these run once per text node.
_TYPOGRAPHY = [
    (re.compile(r"---"), "\u2014"),
    (re.compile(r"(?<=\s)--(?=\s)|(?<=\d)--(?=\d)"), "\u2013"),
    (re.compile(r"\.\.\."), "\u2026"),
    (re.compile(r"(?<=\w)'(?=\w)"), "\u2019"),
    (re.compile(r"(?<![\w.,;:!?)\]\u2019])'(?=[\w(\[])"), "\u2018"),
    (re.compile(r"'"), "\u2019"),
    (re.compile(r'(?<![\w.,;:!?)\]\u2019\u201d])"(?=[\w(\[\u2018])'), "\u201c"),
    (re.compile(r'"'), "\u201d"),
]
_LITERAL = {"code", "pre", "kbd"}
_CITATION = re.compile(r"\[\^([^\]\s]+)\](:?)")
_DIRECTIVE = re.compile(r"\[\[\s*([a-z]+)\s*:\s*([A-Za-z0-9_-]+)\s*\]\]")


@dataclass
class _Findings:
    problems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    images: list[Path] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)


class MarkdownPipeline:
    """Converts page bodies; build one per process and reuse it for every page."""

    def __init__(self, content_dir: Path, labels: Mapping[str, str]) -> None:
        """`labels`: interface text for "sources", "backlink" and each callout kind."""
        self.content_dir = content_dir.resolve()
        self.images_dir = self.content_dir / "images"
        self.labels = labels
        self._md = markdown.Markdown(
            extensions=["tables", "toc", "admonition", "footnotes", "sane_lists"],
            extension_configs={
                "tables": {"use_align_attribute": True},
                "footnotes": {"USE_DEFINITION_ORDER": True, "BACKLINK_TITLE": labels["backlink"]},
            },
            output_format="html",
        )
        self._tree = _ContentTree(self._md, labels)
        self._md.treeprocessors.register(self._tree, "r2r-content", 10)

    def render(self, text: str, *, sources: Sequence[str] = ()) -> Markup:
        """Convert one page body; `sources` become its numbered source list.

        The text cites source n as `[^n]`. Raises `MarkupError` listing every problem.
        """
        found = _Findings()
        cited = self._citations(text, len(sources), found)
        notes = "".join(f"\n[^{n}]: {' '.join(s.split())}" for n, s in enumerate(sources, 1))
        self._md.reset()
        self._tree.findings = found
        raw = self._md.convert(text + "\n" + notes)
        clean = nh3.clean(
            raw, tags=_TAGS, attributes=_ATTRIBUTES, allowed_classes=_CLASSES,
            url_schemes=_SCHEMES, link_rel=None,
            attribute_filter=lambda tag, attr, value: self._filter(tag, attr, value, found),
        )
        if found.problems:
            raise MarkupError(list(dict.fromkeys(found.problems)))
        return Markup(
            html=clean,
            text=readable_text(clean),
            headings=tuple(_headings(getattr(self._md, "toc_tokens", []))),
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
                found.problems.append(f"defines a footnote [^{label}]; list sources in the front "
                                      "matter 'sources' instead and cite them as [^1], [^2], ...")
            elif not label.isdigit() or not 1 <= int(label) <= count:
                found.problems.append(f"cites [^{label}] but the page lists {count} source(s) in "
                                      "its front matter")
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
            found.problems.append(f"links to a file on this computer ({href}); "
                                  "nothing outside the project may be published")
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
            found.problems.append(f"uses a picture from outside the project ({src}); put the file "
                                  "in content/images/ and write images/<name>")
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


class _ContentTree(Treeprocessor):  # type: ignore[misc]
    """Checks and shapes the converted tree: headings, callouts and the source list."""

    findings: _Findings

    def __init__(self, md: markdown.Markdown, labels: Mapping[str, str]) -> None:
        super().__init__(md)
        self.labels = labels

    def run(self, root: ET.Element) -> None:
        for paragraph in root.iter("p"):
            self._directive(paragraph)
        self._typography(root)
        for cell in (*root.iter("th"), *root.iter("td")):
            # HTML5 has no align attribute, and the site's CSP forbids style attributes.
            align = cell.attrib.pop("align", None)
            if align in ("left", "center", "right"):
                cell.set("class", f"align-{align}")
        if root.find(".//h1") is not None:
            self.findings.problems.append("uses a top-level heading ('# '); the page title is the "
                                          "top heading, so start sections with '## '")
        for div in root.iter("div"):
            classes = div.get("class", "").split()
            if "admonition" in classes:
                self._callout(div, classes)
            elif "footnote" in classes:
                self._sources(div, root)

    def _typography(self, element: ET.Element) -> None:
        if element.tag in _LITERAL:
            return
        if element.text and not (element.tag == "a" and "://" in element.text):
            element.text = _typographic(element.text)
        for child in element:
            self._typography(child)
            if child.tail:
                child.tail = _typographic(child.tail)

    def _directive(self, paragraph: ET.Element) -> None:
        # A paragraph holding only `[[protocol:low-risk]]` becomes an empty marked block that
        # the templates fill with the protocol's table, generated from its data.
        match = _DIRECTIVE.fullmatch((paragraph.text or "").strip())
        if match is None or len(paragraph):
            return
        kind, name = match.group(1), match.group(2).lower()
        if kind not in EMBED_KINDS:
            self.findings.problems.append(f"has an unknown block [[{kind}:{name}]] "
                                          f"(use {', '.join(EMBED_KINDS)})")
            return
        paragraph.tag, paragraph.text = "div", None
        paragraph.attrib = {"data-embed": f"{kind}:{name}"}

    def _callout(self, div: ET.Element, classes: list[str]) -> None:
        kinds = [c for c in classes if c != "admonition"]
        if len(kinds) != 1 or kinds[0] not in CALLOUTS:
            self.findings.problems.append(f"has an unknown callout '!!! {' '.join(kinds)}' "
                                          f"(use {', '.join(CALLOUTS)})")
            return
        div.set("role", "note")
        title = div.find("p")
        if title is not None and title.text == kinds[0].capitalize():
            title.text = self.labels[kinds[0]]

    def _sources(self, div: ET.Element, root: ET.Element) -> None:
        rule = div.find("hr")
        if rule is not None:
            rule.tag = "h2"
            rule.set("id", "sources")
            rule.text = self.labels["sources"]
        references = {sup.get("id") for sup in root.iter("sup")}
        for item in div.iter("li"):
            for parent in item.iter("p"):
                for link in list(parent.iter("a")):
                    backref = link.get("class") == "footnote-backref"
                    if backref and link.get("href", "").lstrip("#") not in references:
                        parent.remove(link)


def _typographic(text: str) -> str:
    if "'" not in text and '"' not in text and "--" not in text and "..." not in text:
        return text
    for pattern, replacement in _TYPOGRAPHY:
        text = pattern.sub(replacement, text)
    return text


def _headings(tokens: Sequence[Mapping[str, object]]) -> list[Heading]:
    out = []
    for token in tokens:
        level = int(str(token["level"]))
        if level in (2, 3):
            out.append(Heading(level, str(token["id"]), html.unescape(str(token["name"]))))
        out.extend(_headings(token.get("children", [])))  # type: ignore[arg-type]
    return out


