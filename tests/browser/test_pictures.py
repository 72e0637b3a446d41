"""SVG pictures in real Chromium: the ways past the old check fetch or navigate when the file is
opened on its own, the picture check refuses each, and what the site publishes loads nothing.

A recording HTTP server stands for the outside world: every attack names it, and a published
picture must never reach it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from generator.content.pictures import PictureProblem, publishable

from ..conftest import make_scratch
from .conftest import SUBPROCESS_ENV, r2r, serve_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SVG = 'xmlns="http://www.w3.org/2000/svg"'
XHTML = 'xmlns:h="http://www.w3.org/1999/xhtml"'
# Each got past the check of the original bytes, and made Chromium ask {server} for something.
ATTACKS = {
    "stylesheet-instruction": (
        '<?xml-stylesheet href="{server}/pi.css" type="text/css"?>'
        f'<svg {SVG}><rect width="9" height="9"/></svg>'
    ),
    "escaped-import": f'<svg {SVG}><style>@\\69mport "{{server}}/import.css";</style></svg>',
    "escaped-url": (
        f'<svg {SVG} style="background-image: \\75 rl({{server}}/url.png)">'
        '<rect width="9" height="9"/></svg>'
    ),
    "escaped-url-in-a-fill": (
        f'<svg {SVG}><rect width="9" height="9" style="fill: \\75 rl({{server}}/fill.svg#p)"/></svg>'
    ),
    "image-set": (
        f"<svg {SVG} style=\"background-image: image-set('{{server}}/set.png' 1x)\">"
        '<rect width="9" height="9"/></svg>'
    ),
    "xhtml-img": f'<svg {SVG} {XHTML}><h:img src="{{server}}/img.png"/></svg>',
    "xhtml-video-poster": f'<svg {SVG} {XHTML}><h:video poster="{{server}}/poster.png"/></svg>',
    "xhtml-meta-refresh": (
        f'<svg {SVG} {XHTML}><h:meta http-equiv="refresh" content="0;url={{server}}/refresh"/></svg>'
    ),
}
# What a drawing program writes, with everything the allow-list keeps.
DRAWN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn -->\n'
    f'<svg {SVG} xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 40 40" width="40" '
    'height="40"><defs><linearGradient id="g"><stop offset="0" stop-color="#0b5f73"/>'
    '<stop offset="1" stop-color="#a34a0f"/></linearGradient><clipPath id="c">'
    '<circle cx="20" cy="20" r="18"/></clipPath><filter id="f"><feGaussianBlur '
    'stdDeviation="1"/></filter></defs><rect id="r" width="40" height="40" fill="url(#g)" '
    'clip-path="url(#c)"/><use xlink:href="#r" style="opacity: 0.5; filter: url(#f)" '
    'transform="rotate(10 20 20)"/><text x="4" y="24" font-family="sans-serif">R2R</text></svg>'
)


class _Recording(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recording.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def outside() -> Iterator[str]:
    """The outside world: an HTTP server on loopback that records every request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recording)
    _Recording.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def opened(browser: Any, url: str) -> None:
    """Open `url` on its own, as a visitor following a link to a picture would, and let it
    load everything it asks for."""
    page = browser.new_page()
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        time.sleep(0.3)  # a meta refresh of 0 seconds fires just after the load
    finally:
        page.close()


def serve(files: dict[str, bytes], folder: Path) -> tuple[Any, str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return serve_folder(folder)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_that_fetches_in_chromium_is_refused(name, browser, outside, tmp_path):
    svg = ATTACKS[name].format(server=outside).encode()
    server, url = serve({f"{name}.svg": svg}, tmp_path / "raw")
    try:
        opened(browser, f"{url}{name}.svg")
    finally:
        server.shutdown()
    assert _Recording.requests, f"{name}: Chromium fetched nothing from the raw file"
    with pytest.raises(PictureProblem):
        publishable(svg, ".svg")


def test_the_site_refuses_the_attacks_and_publishes_nothing(browser, outside, tmp_path):
    import subprocess

    scratch = make_scratch(tmp_path / "project")
    for name, text in ATTACKS.items():
        scratch.write(f"content/images/{name}.svg", text.format(server=outside))
    done = subprocess.run(
        r2r(scratch.root, "site"), env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2
    refused = {line.split(": ")[1] for line in done.stderr.splitlines()}
    assert refused == {f"content/images/{name}.svg" for name in ATTACKS}
    assert not (scratch.root / "output" / "site").exists()


def test_published_pictures_load_nothing_and_still_show(browser, outside, tmp_path):
    import subprocess

    scratch = make_scratch(tmp_path / "project")
    scratch.write("content/images/drawn.svg", DRAWN)
    scratch.page("drawn", "---\ntitle: Drawn\n---\n![A drawing](images/drawn.svg)\n")
    done = subprocess.run(
        r2r(scratch.root, "site"), env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    site = scratch.site
    published = ["images/drawn.svg", "assets/clinic-logo.svg", "assets/img/favicon.svg"]
    server, url = serve_folder(site)
    try:
        for name in published:
            opened(browser, url + name)
        page = browser.new_page()
        page.goto(url + "drawn.html")
        page.wait_for_load_state("networkidle")
        widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
        page.close()
    finally:
        server.shutdown()
    assert _Recording.requests == []
    assert widths and all(width > 0 for width in widths)  # the logo and the drawing show
    assert b"<!--" not in (site / "images" / "drawn.svg").read_bytes()
