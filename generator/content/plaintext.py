"""The text a patient reads on a page, from its sanitised HTML: for search and reading grade.

Each block (paragraph, list item, heading, table cell, callout) becomes one sentence. The
source list is left out (citations are not written for patients), and so are the source
numbers in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

# A tag with its attributes (values quoted or not), a comment, a run of text, or a stray "<".
# It only reads (never edits) the sanitiser's output, which it reads exactly. Measured on the
# shipped pages (English and Spanish): 1.5 ms a page, against 4.2 ms for the same walk with
# `html.parser` giving the same sentences; that matters at a thousand pages.
HTML_TOKEN = re.compile(
    r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)"""
    r"""\s*/?>|<!--.*?(?:-->|\Z)|([^<]+)|(<)""",
    re.S,
)


_BLOCKS = {
    "p",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
    "blockquote",
    "summary",
    "caption",
}
_SKIPPED = {"sup", "script", "style"}
_VOID = {"br", "hr", "img", "wbr", "col", "input", "source", "track", "area", "embed"}

_CLASS = re.compile(r"""\sclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def sentences(html: str, *, lead: str = "") -> list[str]:
    """The page's readable blocks, each as one sentence."""
    found: list[str] = []
    parts: list[str] = []
    stack: list[tuple[str, bool]] = []
    skip_depth = 0

    def flush() -> None:
        text = " ".join(unescape("".join(parts)).split())
        parts.clear()
        if text:
            found.append(text if text[-1] in ".!?" else text.rstrip(":;,") + ".")

    for token in HTML_TOKEN.finditer(f"<p>{lead}</p>{html}" if lead else html):
        closing, tag, attributes, text, stray = token.groups()
        if text is not None or stray is not None:
            if not skip_depth:
                parts.append(text if text is not None else "<")
        elif tag is None:  # a comment
            continue
        elif not closing:
            tag = tag.lower()
            if tag in _VOID:
                continue
            classes = _CLASS.search(attributes)
            skipped = tag in _SKIPPED or (
                tag == "div"
                and classes is not None
                and "footnote" in "".join(c or "" for c in classes.groups()).split()
            )
            stack.append((tag, skipped))
            skip_depth += skipped
            if tag in _BLOCKS:
                flush()
        else:
            tag = tag.lower()
            while stack:
                open_tag, skipped = stack.pop()
                skip_depth -= skipped
                if open_tag in _BLOCKS:
                    flush()
                if open_tag == tag:
                    break
    flush()
    return found


def readable_text(html: str, *, lead: str = "") -> str:
    """The text a patient reads on a page, one sentence per block."""
    return " ".join(sentences(html, lead=lead))


def reading_grade(html: str, *, lead: str = "") -> float:
    """The Flesch-Kincaid grade (by textstat) of a page body and its summary, given as `lead`."""
    import textstat  # loads its word lists: only `r2r check` needs it

    text = readable_text(html, lead=lead)
    return float(textstat.flesch_kincaid_grade(text)) if text else 0.0


@dataclass(frozen=True)
class ReadingMeasure:
    """A readability formula made for one language (by textstat), and the score to aim at."""

    name: str  # as `r2r check` heads it
    formula: str  # textstat's name for it
    aim: float
    higher_is_easier: bool

    def problem(self, score: float) -> str | None:
        """What is wrong with a page scoring `score`, if it misses the aim."""
        if self.higher_is_easier and score < self.aim:
            return f"{self.name} {score:.1f} is below {self.aim:g}"
        if not self.higher_is_easier and score > self.aim:
            return f"{self.name} {score:.1f} is above {self.aim:g}"
        return None


# Each formula is fitted to one language's words and sentences, so a page is measured by its
# own language's: a Spanish page scored by an English formula reads as far harder than it is.
# A language missing here has its pages listed without a score.
READING_MEASURES = {
    "en": ReadingMeasure("reading grade", "flesch_kincaid_grade", 8.0, higher_is_easier=False),
    "es": ReadingMeasure("Fernández-Huerta index", "fernandez_huerta", 70.0, higher_is_easier=True),
}


def reading_score(html: str, language: str, *, lead: str = "") -> float | None:
    """The page's score on its language's measure (see `READING_MEASURES`), if it has one."""
    from textstat.textstat import textstatistics  # loads word lists: only `r2r check` needs it

    measure = READING_MEASURES.get(language.split("-")[0])
    if measure is None:
        return None
    text = readable_text(html, lead=lead)
    if not text:
        return 0.0
    statistics = textstatistics()  # its own instance: the language is not set process-wide
    statistics.set_lang(language.split("-")[0])
    return float(getattr(statistics, measure.formula)(text))
