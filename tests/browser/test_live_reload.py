"""`r2r serve`: an edit to a content file shows in the open tab, with no manual refresh."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from .conftest import SUBPROCESS_ENV, copy_project, r2r

pytestmark = pytest.mark.browser

TOPIC = "shoes-and-surfaces"
STARTUP_TIMEOUT = 120  # seconds: the first build of the whole site


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serving:
    """A running `r2r serve` and everything it printed."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            r2r(root, "serve", "--port", str(self.port), "--no-browser"),
            cwd=root,
            env=SUBPROCESS_ENV,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if f"Serving on {self.url}" in line:
                self.ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.ready.wait(0.2):
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader take the last lines
                pytest.fail(
                    f"r2r serve exited with status {self.process.returncode} before "
                    f"serving:\n{self.output}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"r2r serve did not print 'Serving on {self.url}' within "
                    f"{STARTUP_TIMEOUT} s:\n{self.output}",
                    pytrace=False,
                )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def serve():
    """serve(root): start `r2r serve` on a free port for the project at `root`; its URL."""
    running: list[Serving] = []

    def start(root: Path) -> Serving:
        serving = Serving(root)
        running.append(serving)
        serving.wait_until_ready()
        return serving

    yield start
    for serving in running:
        serving.stop()


def test_an_edit_to_a_content_file_shows_in_the_open_page(tmp_path, serve, open_tab, expect):
    root = copy_project(tmp_path / "project")
    serving = serve(root)
    tab = open_tab(base=serving.url)
    tab.goto(f"{TOPIC}.html", wait_until="load")
    marker = "This sentence was added while the page was open."
    expect(tab.page.get_by_text(marker)).to_have_count(0)

    source = root / "content" / f"{TOPIC}.md"
    source.write_text(source.read_text(encoding="utf-8") + f"\n\n{marker}\n", encoding="utf-8")

    expect(tab.page.get_by_text(marker)).to_be_visible(timeout=15_000)
    assert tab.page.url == f"{serving.url}{TOPIC}.html"
    assert tab.watch.problems() == [], "\n".join(tab.watch.problems())
    assert serving.process.poll() is None, serving.output


def test_the_reload_script_is_added_only_while_serving(tmp_path, serve, built_site):
    root = copy_project(tmp_path / "project")
    serve(root)
    served_site = root / "output" / "site"
    pages = sorted(p.relative_to(served_site).as_posix() for p in served_site.rglob("*.html"))
    assert pages == sorted(p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html"))
    differ = [
        page
        for page in pages
        if (served_site / page).read_bytes() != (built_site / page).read_bytes()
    ]
    assert differ == [], f"pages written by `r2r serve` that differ from `r2r build`'s: {differ}"
