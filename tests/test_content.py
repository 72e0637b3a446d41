"""Content pages: front matter validated, every problem of every page reported with file and key."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.content.library import broken_links, load_library
from generator.core.errors import ContentError


def content_problems(scratch) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_library(scratch.project)
    return [str(p) for p in caught.value.problems]


def test_pages_load_in_order_with_their_front_matter(scratch):
    library = load_library(scratch.project)
    assert [p.slug for p in library.pages] == ["basics", "walking"]
    basics = library.pages[0]
    assert basics.meta.reviewed == dt.date(2026, 10, 1)
    assert basics.path == "content/basics.md"
    assert "walking.html#how-long" in basics.body.links


def test_every_problem_in_every_page_is_reported(scratch):
    scratch.page("bad-keys", "---\ntitel: Oops\norder: first\nreviewed: 2026-02-30\n---\nText\n")
    scratch.page("no-front", "Just text\n")
    scratch.page("Bad_Name", "---\ntitle: x\n---\n")
    scratch.page("broken", "---\ntitle: [unclosed\n---\n")
    scratch.page("index", "---\ntitle: Home\n---\n")
    assert content_problems(scratch) == [
        "content/Bad_Name.md: file name must use only lower-case letters, digits and hyphens (at most 64) (it becomes the page's web address)",
        "content/bad-keys.md: titel: unknown key (did you mean 'title'?)",
        "content/bad-keys.md: title: is required but missing",
        "content/bad-keys.md: order: must be a whole number, not 'first'",
        "content/bad-keys.md: reviewed: must be a date written YYYY-MM-DD, like 2026-01-31 (got '2026-02-30')",
        "content/broken.md: line 3: YAML: did not find expected ',' or ']'",
        "content/index.md: the name 'index' is reserved for the site; rename the file",
        "content/no-front.md: has no front matter: the file must start with a line '---', then 'title: ...', then another '---'",
    ]


def test_markdown_problems_name_the_page(scratch):
    scratch.page("remote", "---\ntitle: Remote\n---\n![x](https://example.org/x.png)\n")
    assert content_problems(scratch) == [
        "content/remote.md: uses a picture from outside the project (https://example.org/x.png); "
        "put the file in content/images/ and write images/<name>"
    ]


# Pages that are not UTF-8, binary, unclosed, too large, links out of the project, raw HTML:
# tests/hardening/cases/content.yaml.


def test_broken_internal_links_are_found(scratch):
    scratch.page(
        "linker", "---\ntitle: Linker\n---\n[a](missing.md) [b](walking.md#nowhere) [c](#here)\n"
    )
    found = [str(p) for p in broken_links(load_library(scratch.project).pages)]
    assert found == [
        "content/linker.md: links to 'missing.html', but there is no page 'missing.md'",
        "content/linker.md: links to 'walking.html#nowhere', but that page has no section '#nowhere'",
        "content/linker.md: links to '#here', but that page has no section '#here'",
    ]
