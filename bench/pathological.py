"""Convert one pathological page, as `r2r` would: `python pathological.py KIND`.

The pages that took Python-Markdown minutes or hours (see tests/hardening/test_fuzz.py): the
first three are refused before conversion, the last two convert. Run by `run.py --only
pathological`, which times the whole process; exit status 0 either way.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from generator.content.markdown_pipeline import MarkdownPipeline
from generator.content.pages import PageSource, load_page
from generator.core.errors import ContentError

BODIES = {
    "open-brackets": "[" * 250_000,
    "headings-in-one-block": "## a\n" * 50_000,
    "lists-1500-deep": "* " * 1500 + "x\n",
    "headings-50000": "## a\n\n" * 50_000,
    "citations-60000": "[^1]" * 60_000,
}
LABELS = {
    "sources": "Sources",
    "backlink": "Back",
    "red-flag": "Red flag",
    "tip": "Tip",
    "note": "Note",
}


def main(kind: str) -> None:
    """Convert the page of `kind` and say whether it was refused."""
    raw = ("---\ntitle: Slow\nsources: [One]\n---\n" + BODIES[kind]).encode()
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder)
        try:
            load_page(
                PageSource(content / "slow.md", "content/slow.md", raw),
                MarkdownPipeline(content, LABELS),
            )
        except ContentError as error:
            print(f"{kind}: refused: {error}")
            return
    print(f"{kind}: converted")


if __name__ == "__main__":
    main(sys.argv[1])
