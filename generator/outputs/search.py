"""The site's search index: built with the site, searched in the browser by our own script.

`search-index.json` holds, for each topic, its address, title, summary, headings and the text
a patient reads. Nothing is sent anywhere: `assets/js/search.js` fetches the index from the
same site and ranks the topics itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from generator.content.pages import Page


def search_index(pages: Sequence[Page]) -> str:
    """The search index of `pages`, as JSON."""
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
    return json.dumps({"pages": entries}, ensure_ascii=False, separators=(",", ":"))
