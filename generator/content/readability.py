"""Reading grade of a page, measured by a well-kept library (textstat's Flesch-Kincaid grade).

The grade is taken on what a patient reads (see `generator.plaintext`): the summary and the
body's blocks, each as its own sentence, without the source list.
"""

from __future__ import annotations

import textstat

from generator.content.plaintext import readable_text


def reading_grade(html: str, *, lead: str = "") -> float:
    """The Flesch-Kincaid grade of a page body (and its summary, given as `lead`)."""
    text = readable_text(html, lead=lead)
    return float(textstat.flesch_kincaid_grade(text)) if text else 0.0
