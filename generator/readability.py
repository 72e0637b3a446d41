"""Reading grade of a page, measured by a well-kept library (textstat's Flesch-Kincaid grade).

The grade is taken on what a patient reads: the summary and the body's paragraphs, list items,
headings, table cells and callouts, each as its own sentence; not the source list, whose
citations are not written for patients, nor the source numbers in the text.
"""

from __future__ import annotations

from html.parser import HTMLParser

import textstat

_BLOCKS = {"p", "li", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "figcaption",
           "blockquote", "summary", "caption"}
_SKIPPED = {"sup", "script", "style"}


class _Sentences(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sentences: list[str] = []
        self._parts: list[str] = []
        self._skip_depth = 0
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "hr", "img"}:
            return
        classes = (dict(attrs).get("class") or "").split()
        skipped = tag in _SKIPPED or (tag == "div" and "footnote" in classes)
        self._stack.append((tag, skipped))
        self._skip_depth += skipped
        if tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, skipped = self._stack.pop()
            self._skip_depth -= skipped
            if open_tag in _BLOCKS:
                self._flush()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._parts.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        self._parts = []
        if text:
            self.sentences.append(text if text[-1] in ".!?" else text.rstrip(":;,") + ".")


def readable_text(html: str, *, lead: str = "") -> str:
    """The text a patient reads on a page, one sentence per block."""
    parser = _Sentences()
    parser.feed(f"<p>{lead}</p>{html}" if lead else html)
    parser.close()
    parser._flush()
    return " ".join(parser.sentences)


def reading_grade(html: str, *, lead: str = "") -> float:
    """The Flesch-Kincaid grade of a page body (and its summary, given as `lead`)."""
    text = readable_text(html, lead=lead)
    return float(textstat.flesch_kincaid_grade(text)) if text else 0.0
