"""The one Markdown pipeline: Markdown in, sanitised HTML out.

Content is written by clinic staff and published to the public web, so its HTML is never
trusted. Markdown (CommonMark with tables, converted by cmark-gfm, GitHub's C converter) gets
heading anchors, "red flag"/"tip"/"note" callouts and the page's numbered sources, then is
cleaned by nh3 against an allow-list: no scripts, no event handlers, no styles, no frames or
forms, no `javascript:` or `data:` links. A reference that would make a build reach outside
the project (a `file:` URL, a picture from the internet, a picture outside `content/images/`)
is an error naming the page.

The work is done in passes over text, none over a document tree: callouts become HTML blocks
in the Markdown before conversion (cmark sets the typographic quotes and dashes); the
converter's HTML then gets heading anchors, numbered citations and the source list; last, the
whole is sanitised. A page converts in about a fifth of the time Python-Markdown took.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nh3
from cmarkgfm import cmark

from generator.content.page_body import CALLOUTS, EMBED_KINDS, Heading, MarkupError, PageBody
from generator.content.plaintext import readable_text

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
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
# Smart punctuation: typographic quotes, dashes and ellipses, except in code.
_OPTIONS = cmark.Options.CMARK_OPT_UNSAFE | cmark.Options.CMARK_OPT_SMART
_EXTENSIONS = ["table"]
_CITATION = re.compile(r"\[\^([^\]\s]+)\](:?)")
_CITE = re.compile(r"\[\^([0-9]+)\]")
_CODE = re.compile(r"<(code|pre|kbd)[\s>].*?</\1\s*>", re.S | re.I)  # citations there are text
_DIRECTIVE = re.compile(r"<p>\s*\[\[\s*([a-z]+)\s*:\s*([A-Za-z0-9-]+)\s*\]\]\s*</p>")
_CALLOUT = re.compile(r'!!! ?([\w-]+(?: +[\w-]+)*)(?: +"(.*?)")? *')
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ALIGN = re.compile(r'<(t[hd]) align="(left|center|right)">')
_ID = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_HEADING = re.compile(r"<(h[1-6])(\s[^>]*)?>(.*?)</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
# How a line of Markdown can start a block other than a paragraph (see `_inline`).
_ORDERED = re.compile(r"([0-9]{1,9})([.)])(?=\s|$)")
_BLOCK_START = re.compile(
    r"#{1,6}(?:\s|$)|[-+*](?:\s|$)|(?:[-*_][ \t]*){3,}$|>|[`~]{3}|"
    r"<(?![A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>)|\[[^\]]*\]:"
)
_NUMBERED = re.compile(r"(.*)_([0-9]+)")


@dataclass
class _Findings:
    problems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    images: list[Path] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
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

    def render(self, text: str, *, sources: Sequence[str] = ()) -> PageBody:
        """Convert one page body; `sources` become its numbered source list.

        The text cites source n as `[^n]`. Raises `MarkupError` listing every problem.
        """
        found = _Findings()
        cited = self._citations(text, len(sources), found)
        raw = _convert("\n".join(self._callouts(text.split("\n"), found)))
        if "<h1" in raw and re.search(r"<h1[\s>]", raw):
            found.problems.append(
                "uses a top-level heading ('# '); the page title is the "
                "top heading, so start sections with '## '"
            )
        # HTML5 has no align attribute, and the site's CSP forbids style attributes.
        raw = _ALIGN.sub(r'<\1 class="align-\2">', raw)
        raw = _DIRECTIVE.sub(lambda match: self._directive(match, found), raw)
        raw = self._shape(raw, found, reserved={"sources"} if sources else set())
        if sources:
            raw += self._source_list(sources, found.references)
        clean = nh3.clean(
            raw,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            allowed_classes=_CLASSES,
            url_schemes=_SCHEMES,
            link_rel=None,
            attribute_filter=lambda tag, attr, value: self._filter(tag, attr, value, found),
        )
        if found.problems:
            raise MarkupError(list(dict.fromkeys(found.problems)))
        if sources:
            found.headings.append(Heading(2, "sources", self.labels["sources"]))
        return PageBody(
            html=clean,
            text=readable_text(clean),
            headings=tuple(h for h in found.headings if h.level in (2, 3)),
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

    def _callouts(self, lines: list[str], found: _Findings) -> list[str]:
        """Turn each `!!! kind "title"` and the indented lines under it into an HTML block
        whose inside stays Markdown (outside fenced code, where it is only text)."""
        out: list[str] = []
        fence = ""
        at = 0
        while at < len(lines):
            line = lines[at]
            at += 1
            if fence:  # inside fenced code, where a callout is only text
                out.append(line)
                fence = "" if _closes(line, fence) else fence
                continue
            opening = _FENCE.match(line)
            if opening:
                out.append(line)
                fence = opening.group(1)
                continue
            match = _CALLOUT.fullmatch(line.rstrip())
            if match is None:
                out.append(line)
                continue
            body: list[str] = []
            while at < len(lines) and (
                not lines[at].strip() or lines[at][:1] == "\t" or lines[at].startswith("    ")
            ):
                body.append(lines[at][1:] if lines[at][:1] == "\t" else lines[at][4:])
                at += 1
            while body and not body[-1].strip():  # blank lines after a callout are not in it
                body.pop()
            out += [
                self._callout_start(match.group(1).split(), match.group(2), found),
                "",
                *self._callouts(body, found),
                "",
                "</div>",
                "",
            ]
        return out

    def _callout_start(self, kinds: list[str], title: str | None, found: _Findings) -> str:
        if len(kinds) != 1 or kinds[0] not in CALLOUTS:
            found.problems.append(
                f"has an unknown callout '!!! {' '.join(kinds)}' (use {', '.join(CALLOUTS)})"
            )
        start = f'<div class="admonition {" ".join(kinds)}" role="note">'
        if title is None:
            title = self.labels.get(kinds[0], kinds[0].capitalize())
        if title:
            start += f'\n<p class="admonition-title">{_inline(title)}</p>'
        return start

    @staticmethod
    def _directive(match: re.Match[str], found: _Findings) -> str:
        # A paragraph holding only `[[protocol:low-risk]]` becomes an empty marked block that
        # the templates fill with the protocol's table, generated from its data.
        kind, name = match.group(1), match.group(2).lower()
        if kind not in EMBED_KINDS:
            found.problems.append(
                f"has an unknown block [[{kind}:{name}]] (use {', '.join(EMBED_KINDS)})"
            )
            return match.group(0)
        return f'<div data-embed="{kind}:{name}"></div>'

    def _shape(self, raw: str, found: _Findings, reserved: set[str]) -> str:
        """Give each heading an anchor and an entry in the table of contents, and number the
        citations outside code."""
        anchors = _Anchors(
            reserved | {next(filter(None, m.groups()), "") for m in _ID.finditer(raw)}
        )
        raw = _HEADING.sub(lambda match: self._heading(match, found, anchors), raw)
        if "[^" not in raw:
            return raw
        code = [m.span() for m in _CODE.finditer(raw)]
        out, at = [], 0
        seen, opened, closed = 0, -1, -1  # the last "<" and ">" before `seen`
        for match in _CITE.finditer(raw):
            start = match.start()
            opened = max(opened, raw.rfind("<", seen, start))
            closed = max(closed, raw.rfind(">", seen, start))
            seen = start
            inside = bisect.bisect(code, (start, len(raw)))
            if opened > closed or (inside and code[inside - 1][1] > start):
                continue  # inside a tag, or in code where a citation is only text
            out += [raw[at:start], self._reference(match, found)]
            at = match.end()
        out.append(raw[at:])
        return "".join(out)

    @staticmethod
    def _heading(match: re.Match[str], found: _Findings, anchors: _Anchors) -> str:
        tag, attributes, inner = match.group(1).lower(), match.group(2) or "", match.group(3)
        title = " ".join(html.unescape(_CITE.sub("", _TAG.sub("", inner))).split())
        given = _ID.search(attributes)
        anchor = next(filter(None, given.groups()), "") if given else ""
        if not anchor:
            anchor = anchors.unique(_slug(title))
            attributes = f' id="{anchor}"{attributes}'
        found.headings.append(Heading(int(tag[1]), anchor, title))
        return f"<{tag}{attributes}>{inner}</{tag}>"

    @staticmethod
    def _reference(match: re.Match[str], found: _Findings) -> str:
        number = int(match.group(1))
        times = found.references[number] = found.references.get(number, 0) + 1
        return (
            f'<sup id="{_reference_id(number, times)}"><a class="footnote-ref" '
            f'href="#fn:{number}">{number}</a></sup>'
        )

    def _source_list(self, sources: Sequence[str], references: Mapping[int, int]) -> str:
        """The numbered source list, each source linked back to where the text cites it."""
        title = html.escape(self.labels["backlink"])
        items = []
        for number, source in enumerate(sources, 1):
            backlinks = "".join(
                f'<a class="footnote-backref" href="#{_reference_id(number, times)}" '
                f'title="{title}">\u21a9</a>'
                for times in range(1, references.get(number, 0) + 1)
            )
            text = _inline(source)
            items.append(
                f'<li id="fn:{number}">\n<p>{text}'
                f"{'&nbsp;' + backlinks if backlinks else ''}</p>\n</li>\n"
            )
        return (
            f'<div class="footnote">\n<h2 id="sources">{html.escape(self.labels["sources"])}'
            f"</h2>\n<ol>\n{''.join(items)}</ol>\n</div>\n"
        )

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


def _convert(text: str) -> str:
    return str(cmark.markdown_to_html_with_extensions(text, _OPTIONS, extensions=_EXTENSIONS))


def _inline(text: str) -> str:
    """One line of Markdown (a source, a callout's title) as inline HTML: what would start a
    block (a list, a heading, a quote, raw HTML, a link definition) is kept as text."""
    text = " ".join(text.split())
    if _ORDERED.match(text):
        text = _ORDERED.sub(r"\1\\\2", text, count=1)
    elif _BLOCK_START.match(text):
        text = "\\" + text
    converted = _convert(text).strip()
    if converted.startswith("<p>") and converted.endswith("</p>"):
        return converted[3:-4]
    return converted


def _closes(line: str, fence: str) -> bool:
    """Whether `line` ends the fenced code block opened by `fence`."""
    match = re.fullmatch(r" {0,3}(`+|~+)[ \t]*", line)
    return bool(match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence))


def _reference_id(number: int, times: int) -> str:
    return f"fnref:{number}" if times == 1 else f"fnref{times}:{number}"


def _slug(title: str) -> str:
    """A heading's anchor, as Python-Markdown made them (so links written then still work)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", ascii_title).strip().lower())


class _Anchors:
    """The anchors of one page: each new one made unique the way Python-Markdown did
    ("sources", "sources_1", ...), in time that does not grow with the number of repeats."""

    def __init__(self, used: set[str]) -> None:
        self.used = used
        self.last: dict[str, int] = {}  # base: the highest suffix given to it

    def unique(self, anchor: str) -> str:
        if anchor and anchor not in self.used:
            self.used.add(anchor)
            return anchor
        numbered = _NUMBERED.fullmatch(anchor)
        base, suffix = (numbered.group(1), int(numbered.group(2))) if numbered else (anchor, 0)
        suffix = max(suffix, self.last.get(base, 0)) + 1
        while f"{base}_{suffix}" in self.used:
            suffix += 1
        self.last[base] = suffix
        self.used.add(f"{base}_{suffix}")
        return f"{base}_{suffix}"
