"""`r2r serve`: the preview serves the site on loopback, rebuilds on change, survives a bad edit."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from functools import partial

import pytest

from generator.outputs.preview import PreviewServer

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def status(server: PreviewServer) -> dict:
    return json.loads(get(server.url + "__r2r__/status")[2])


def wait_for(condition, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def preview(scratch):
    # A quiet spell well beyond the 30 ms between the writes of the test's slow save below, so
    # that a loaded machine cannot stretch them past it.
    server = PreviewServer(scratch.project, 0, debounce_ms=200)
    server.start()
    yield server
    server.stop()


def test_pages_are_served_with_the_reload_script_and_only_from_loopback(preview, scratch):
    assert preview.url.startswith("http://127.0.0.1:")
    code, kind, html = get(preview.url + "basics.html")
    assert code == 200 and kind.startswith("text/html")
    assert '<script src="/__r2r__/live.js" defer></script></body>' in html
    assert "__r2r__" not in (scratch.site / "basics.html").read_text()  # never in the build
    assert get(preview.url)[0] == 200
    assert get(preview.url + "__r2r__/live.js")[1] == "text/javascript"
    missing = get(preview.url + "missing/page.html")
    assert missing[0] == 404 and "Page not found" in missing[2]


def test_a_page_saved_in_several_writes_is_built_only_once_complete(preview, scratch, caplog):
    first = status(preview)["generation"]
    page = scratch.root / "content" / "basics.md"
    text = page.read_text().replace("Bone breaks down", "Bone wears out")
    piece = len(text) // 10 + 1
    with page.open("w") as handle:  # truncated at once: for a moment the page is empty
        for start in range(0, len(text), piece):
            handle.write(text[start : start + piece])
            handle.flush()
            time.sleep(0.03)
    wait_for(lambda: status(preview)["generation"] > first)
    time.sleep(0.5)
    assert status(preview)["error"] is None
    assert not [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "Bone wears out" in get(preview.url + "basics.html")[2]


def test_an_edit_is_rebuilt_and_a_bad_edit_keeps_the_last_good_build(preview, scratch):
    first = status(preview)["generation"]
    page = scratch.root / "content" / "basics.md"
    page.write_text(page.read_text().replace("Bone breaks down", "Bone wears out"))
    wait_for(lambda: status(preview)["generation"] > first)
    assert "Bone wears out" in get(preview.url + "basics.html")[2]

    page.write_text(page.read_text().replace("title: The basics", "titel: The basics"))
    report = wait_for(lambda: status(preview)["error"])
    assert "content/basics.md: titel: unknown key (did you mean 'title'?)" in report
    assert "Bone wears out" in get(preview.url + "basics.html")[2]

    page.write_text(page.read_text().replace("titel:", "title:"))
    wait_for(lambda: status(preview)["error"] is None)


def rebuilt_after(preview: PreviewServer, save) -> None:
    """Call `save`, then wait for the preview's next build."""
    first = status(preview)["generation"]
    save()
    wait_for(lambda: status(preview)["generation"] > first)


def save_by_rename(path, text: str) -> None:
    """Save as many editors do: write a new file beside `path`, then rename it over `path`."""
    new = path.with_name(f".{path.name}.saving")
    new.write_text(text)
    os.replace(new, path)


def test_files_saved_by_renaming_over_them_are_rebuilt_every_time(preview, scratch):
    page = scratch.root / "content" / "basics.md"
    settings = scratch.root / "site.toml"
    for number in (1, 2):  # the second save proves the watch followed the renamed file
        text = page.read_text().replace("Bone ", f"Bone ({number}) ", 1)
        rebuilt_after(preview, partial(save_by_rename, page, text))
        assert f"Bone ({number})" in get(preview.url + "basics.html")[2]

        title = f'title = "Return to running {number}"'
        text = re.sub(r'^title = ".*"$', title, settings.read_text(), flags=re.M)
        rebuilt_after(preview, partial(save_by_rename, settings, text))
        assert f"<title>Return to running {number}</title>" in get(preview.url)[2]
    assert status(preview)["error"] is None


def test_a_watched_folder_removed_and_made_again_is_watched_again(preview, scratch):
    templates = scratch.root / "templates"
    aside = scratch.root / "templates-aside"
    templates.rename(aside)
    wait_for(lambda: status(preview)["error"])
    shutil.copytree(aside, templates)  # a new folder where the watched one was
    wait_for(lambda: status(preview)["error"] is None)

    template = templates / "site" / "page.html"
    text = template.read_text().replace("{{ page.title }} |", "{{ page.title }} (edited) |")
    rebuilt_after(preview, partial(template.write_text, text))
    assert (
        "<title>The basics (edited) | Return to running</title>"
        in get(preview.url + "basics.html")[2]
    )


def test_nothing_is_rebuilt_once_stopped(scratch):
    server = PreviewServer(scratch.project, 0, debounce_ms=10)
    server.start()
    server.stop()
    first = server.generation
    page = scratch.root / "content" / "basics.md"
    page.write_text(page.read_text().replace("Bone breaks down", "Bone wears out"))
    time.sleep(0.5)
    assert server.generation == first
    assert "Bone wears out" not in (scratch.site / "basics.html").read_text()
