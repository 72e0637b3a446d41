"""The text a patient reads on a page, from its sanitised HTML: for search and reading grade.

Each block (paragraph, list item, heading, table cell, callout) becomes one sentence. The
source list is left out (citations are not written for patients), and so are the source
numbers in the text.
"""

from __future__ import annotations

from html.parser import HTMLParser

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
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, skipped = self._stack.pop()
            self._skip_depth -= skipped
            if open_tag in _BLOCKS:
                self.flush()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._parts.append(data)

    def flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        self._parts = []
        if text:
            self.sentences.append(text if text[-1] in ".!?" else text.rstrip(":;,") + ".")


def sentences(html: str, *, lead: str = "") -> list[str]:
    """The page's readable blocks, each as one sentence."""
    parser = _Sentences()
    parser.feed(f"<p>{lead}</p>{html}" if lead else html)
    parser.close()
    parser.flush()
    return parser.sentences


def readable_text(html: str, *, lead: str = "") -> str:
    """The text a patient reads on a page, one sentence per block."""
    return " ".join(sentences(html, lead=lead))
