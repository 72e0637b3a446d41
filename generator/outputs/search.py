"""The site's search index: built with the site, searched in the browser by our own script.

`search-index.js` holds, for each topic, its address, title, summary, headings and the text
a patient reads. Nothing is sent anywhere: the search page loads it as a script of the same
site, which works from a folder (`file://`, a USB stick) where a browser refuses to `fetch`
a file, and `assets/js/search.js` ranks the topics itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from generator.content.pages import Page

INDEX_VARIABLE = "r2rSearchIndex"


def search_index(pages: Sequence[Page]) -> str:
    """The search index of `pages`: a script that sets `window.r2rSearchIndex` to its JSON."""
    entries = [
        {
            "url": page.url,
            "title": page.title,
            "summary": page.meta.summary,
            "headings": [heading.title for heading in page.body.headings],
            "text": page.body.text,
        }
        for page in pages
    ]
    data = json.dumps({"pages": entries}, ensure_ascii=False, separators=(",", ":"))
    # JSON is a JavaScript expression; "<" escaped so that no text can close a script tag.
    safe = data.replace("<", "\\u003c")
    return f"window.{INDEX_VARIABLE} = {safe};\n"
