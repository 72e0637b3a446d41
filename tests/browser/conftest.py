"""Browser tests: the shipped project built once, served on loopback, driven in headless Chromium.

The browser is Debian's Chromium (`/usr/bin/chromium`), started by Playwright through
`executable_path`: Playwright never downloads a browser of its own here. The npm tools (axe-core
for the accessibility run, the Nu Html Checker for HTML validation) come from `node_modules/`,
which `make test` installs from the committed package-lock.json.

A missing tool skips its tests with the reason; `make test` sets R2R_BROWSER_TESTS=required, which
turns every such skip into a failure, so CI can never pass by skipping them.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path(os.environ.get("R2R_CHROMIUM", "/usr/bin/chromium"))

# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which
# this machine's closed network refuses. Playwright adds a fresh, empty --user-data-dir of its own
# to every launch (passing one here is refused: that is what launch_persistent_context is for).
CHROMIUM_ARGS = [
    *(["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

# axe-core is served to the page from its own origin (a Playwright route, not the site's server),
# so that the pages' Content-Security-Policy, which allows only 'self', lets it run unchanged.
AXE_PATH = "/__r2r-test-tools__/axe.min.js"

SUBPROCESS_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
}


# ---------------------------------------------------------------------------------------------
# The shipped project: its pages, by what the content folder holds.


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    _, head, _ = text.split("---\n", 2)
    return yaml.safe_load(head) or {}


TOPICS = sorted(path.stem for path in (REPO / "content").glob("*.md"))
HANDOUT_TOPICS = [
    slug for slug in TOPICS if front_matter(REPO / "content" / f"{slug}.md").get("handout", True)
]
PAGES = ["index.html", "search.html", "404.html", *(f"{slug}.html" for slug in TOPICS)]
# The site's other languages, each in its folder with its own home, search and 404 pages.
LANGUAGES = tomllib.loads((REPO / "site.toml").read_text(encoding="utf-8"))["site"]["languages"]
TRANSLATED_PAGES = [
    f"{language}/{name}"
    for language in LANGUAGES[1:]
    for name in [
        "index.html",
        "search.html",
        "404.html",
        *(f"{path.stem}.html" for path in sorted((REPO / "content" / language).glob("*.md"))),
    ]
]


def title_of(slug: str, language: str = "") -> str:
    """The title of a topic, in the default language or in `language`'s translation."""
    return str(front_matter(REPO / "content" / language / f"{slug}.md")["title"])


def need(ok: object, reason: str) -> None:
    """Skip when a tool is missing; under `make test` (R2R_BROWSER_TESTS=required), fail."""
    if ok:
        return
    if os.environ.get("R2R_BROWSER_TESTS") == "required":
        pytest.fail(f"{reason} (`make test` installs it)", pytrace=False)
    pytest.skip(reason)


def copy_project(root: Path) -> Path:
    """A copy of the shipped project (content, templates, settings) to build without touching it."""
    root.mkdir(parents=True)
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "site.toml", root / "site.toml")
    return root


def r2r(root: Path, *args: str) -> list[str]:
    """The command line running `r2r` from this checkout on the project at `root`."""
    return [sys.executable, "-m", "generator", "--project", str(root), *args]


# ---------------------------------------------------------------------------------------------
# The built site and a plain static server for it.


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`r2r build` of a copy of the shipped project: its output/site folder."""
    root = copy_project(tmp_path_factory.mktemp("shipped") / "project")
    result = subprocess.run(
        r2r(root, "build"),
        cwd=root,
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"r2r build failed:\n{result.stdout}\n{result.stderr}"
    return root / "output" / "site"


class StaticHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".css": "text/css",
        ".js": "text/javascript",
        ".json": "application/json",
        ".pdf": "application/pdf",
        ".svg": "image/svg+xml",
        ".woff2": "font/woff2",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a tab closed mid-transfer
            super().handle_error(request, client_address)


def serve_folder(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    handler = functools.partial(StaticHandler, directory=str(folder))
    server = StaticServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site served over HTTP on 127.0.0.1 (a free port, a thread)."""
    server, url = serve_folder(built_site)
    yield url
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------------------------------------
# Tools: Debian's Chromium through Playwright, axe-core, the Nu Html Checker on Java.


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"no Chromium at {CHROMIUM} (Debian package chromium)",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "the Python package playwright is not installed (pip install -e '.[test]')")
        raise
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    need(AXE_SCRIPT.is_file(), f"no {AXE_SCRIPT.relative_to(REPO)} (npm ci)")
    return AXE_SCRIPT


@pytest.fixture(scope="session")
def vnu() -> list[str]:
    """The command line starting the Nu Html Checker."""
    java = shutil.which("java")
    need(java, "no java on PATH (Debian package default-jre-headless)")
    need(VNU_JAR.is_file(), f"no {VNU_JAR.relative_to(REPO)} (npm ci)")
    return [str(java), "-jar", str(VNU_JAR)]


# ---------------------------------------------------------------------------------------------
# Pages in the browser, watched for errors and for requests that leave 127.0.0.1.


def is_local(url: str) -> bool:
    """Whether loading `url` stays on this machine (Chromium's own PDF viewer is chrome-extension:)."""
    parts = urlsplit(url)
    return (
        parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension", "file")
        or parts.hostname == "127.0.0.1"
    )


@dataclass
class Watch:
    """What a page did wrong: console errors, uncaught exceptions, requests, failed loads."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed_loads: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {e}" for e in self.console_errors]
            + [f"uncaught exception: {e}" for e in self.page_errors]
            + [f"request leaving 127.0.0.1 (blocked): {u}" for u in self.outside_requests]
            + [f"failed load: {e}" for e in self.failed_loads]
        )


@dataclass
class Tab:
    """A page in its own browser context, with what it did wrong."""

    page: Any
    watch: Watch
    base: str

    def goto(self, path: str, wait_until: str = "networkidle") -> Any:
        return self.page.goto(self.base + path, wait_until=wait_until)

    def axe(self, tags: list[str]) -> list[dict[str, Any]]:
        """axe-core's violations on the page as it is now."""
        self.page.evaluate("document.fonts.ready.then(() => true)")
        self.page.add_script_tag(url=self.base.rstrip("/") + AXE_PATH)
        results = self.page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']})""",
            tags,
        )
        return list(results["violations"])


def watch_page(page: Any, watch: Watch) -> None:
    def on_console(message: Any) -> None:
        if message.type == "error":
            where = message.location or {}
            watch.console_errors.append(
                f"{message.text} [{where.get('url', '?')}:{where.get('lineNumber', '?')}]"
            )

    def on_response(response: Any) -> None:
        if response.status >= 400 and is_local(response.url):
            watch.failed_loads.append(f"{response.url}: HTTP {response.status}")

    def on_request_failed(request: Any) -> None:
        # ERR_ABORTED: cut short by the page itself (a navigation, a closed live-reload stream).
        failure = request.failure or ""
        if is_local(request.url) and "ERR_ABORTED" not in failure:
            watch.failed_loads.append(f"{request.url}: {failure}")

    def on_websocket(socket: Any) -> None:
        if not is_local(socket.url):
            watch.outside_requests.append(socket.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("websocket", on_websocket)


@pytest.fixture
def open_tab(browser: Any, site_url: str) -> Iterator[Callable[..., Tab]]:
    """open_tab(viewport="desktop", base=site_url): a new page in a fresh context, watched."""
    contexts: list[Any] = []

    def open_(viewport: str = "desktop", base: str | None = None) -> Tab:
        context = browser.new_context(
            **VIEWPORTS[viewport],
            color_scheme="light",
            service_workers="block",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        watch = Watch()

        def guard(route: Any) -> None:
            if is_local(route.request.url):
                route.continue_()
            else:
                watch.outside_requests.append(route.request.url)
                route.abort("blockedbyclient")

        context.route("**/*", guard)
        if AXE_SCRIPT.is_file():  # routes registered later are matched first
            context.route(
                f"**{AXE_PATH}",
                lambda route: route.fulfill(path=AXE_SCRIPT, content_type="text/javascript"),
            )
        page = context.new_page()
        watch_page(page, watch)
        return Tab(page, watch, base or site_url)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def expect(browser: Any) -> Any:
    """Playwright's `expect` (imported here, so that a missing Playwright skips, not errors)."""
    from playwright.sync_api import expect

    return expect


# ---------------------------------------------------------------------------------------------
# The clinic's private caseload page (r2r status), served from its plans folder.


def caseload_folder(root: Path, patients: Path) -> Path:
    """`r2r status PATIENTS` on the project at `root` (as of the demo date): its plans folder."""
    result = subprocess.run(
        r2r(root, "status", str(patients), "--as-of", "2026-11-23"),
        cwd=root,
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"r2r status failed:\n{result.stdout}\n{result.stderr}"
    return root / "output" / "plans"


@pytest.fixture(scope="session")
def caseload_plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plans folder holding the example patients' caseload page."""
    root = copy_project(tmp_path_factory.mktemp("caseload") / "project")
    return caseload_folder(root, REPO / "examples" / "patients")


@pytest.fixture(scope="session")
def caseload_url(caseload_plans: Path) -> Iterator[str]:
    """The example patients' caseload page, served over HTTP on 127.0.0.1."""
    server, url = serve_folder(caseload_plans)
    yield url
    server.shutdown()
    server.server_close()
