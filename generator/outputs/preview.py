"""`r2r serve`: a live preview of the website on this computer.

It builds the site, serves `output/site/` on 127.0.0.1 (never the private plans beside it),
watches `content/`, `templates/` and `site.toml`, rebuilds what changed, and makes open tabs
reload. A bad edit shows its error over the page and in the terminal, and the last good build
keeps being served. The reload script is added to pages only as they are served.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from generator.core.errors import R2RError
from generator.core.project import Project

log = logging.getLogger(__name__)
LIVE = "/__r2r__/"
SETTLE_SECONDS = 0.1  # quiet time after a change before building
_SCRIPT = f'<script src="{LIVE}live.js" defer></script>'.encode()


class PreviewServer:
    """The preview: an HTTP server and a watcher thread around incremental builds."""

    def __init__(
        self,
        project: Project,
        port: int = 8000,
        *,
        handouts: bool = False,
        jobs: int | None = None,
        interval: float = 0.3,
    ) -> None:
        self.project = project
        self.handouts = handouts
        self.jobs = jobs
        self.interval = interval
        self.generation = 0
        self.error: str | None = None
        self._stop = threading.Event()
        handler = partial(_Handler, self, directory=str(project.site_dir))
        self._http = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """Where the preview is served."""
        return f"http://127.0.0.1:{self._http.server_address[1]}/"

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        self.rebuild()
        self._threads = [
            threading.Thread(target=self._http.serve_forever, daemon=True),
            threading.Thread(target=self._watch, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop watching and serving."""
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()

    def wait(self) -> None:
        """Block until `stop` (or Ctrl+C in the calling thread)."""
        while not self._stop.wait(0.5):
            pass

    def rebuild(self) -> None:
        """Build what changed; on an error keep the last good build and remember the error."""
        from generator.outputs.build import build

        try:
            report = build(self.project, site=True, handouts=self.handouts, jobs=self.jobs)
        except R2RError as error:
            self.error = error.format()
            log.error("the build failed; still serving the last good one:\n%s", self.error)
            return
        except Exception as error:  # a preview must outlive any one bad edit
            self.error = f"unexpected {type(error).__name__}: {error}"
            log.error("%s", self.error, exc_info=True)
            return
        if self.error:
            log.info("the build works again")
        self.error = None
        written = len(report.site.written) if report.site else 0
        self.generation += 1
        log.info("rebuilt: %d file(s) written", written)

    def _watch(self) -> None:
        snapshot = self._snapshot()
        while not self._stop.wait(self.interval):
            current = self._snapshot()
            if current == snapshot:
                continue
            # Editors may save a file in several writes (truncate, then write): build only
            # once the files have stopped changing, or a half-saved page is reported.
            while not self._stop.wait(SETTLE_SECONDS):
                settled = self._snapshot()
                if settled == current:
                    break
                current = settled
            if self._stop.is_set():
                return
            snapshot = current
            self.rebuild()

    def _snapshot(self) -> dict[str, tuple[int, int]]:
        return {str(path): _stamp(path) for path in _watched(self.project)}

    def status(self) -> bytes:
        """What the reload script polls: the build generation and the last error."""
        return json.dumps({"generation": self.generation, "error": self.error}).encode()


def _watched(project: Project) -> Iterator[Path]:
    yield project.settings_file
    for folder in (project.content_dir, project.templates_dir):
        if folder.is_dir():
            yield from (p for p in folder.rglob("*") if p.is_file())


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site's files, the preview's own files, and HTML with the reload script."""

    def __init__(self, preview: PreviewServer, *args: Any, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path.startswith(LIVE):
            self._live(path[len(LIVE) :])
            return
        target = Path(self.translate_path(path))
        if target.is_dir():
            target = target / "index.html"
        if target.suffix == ".html" or not target.exists():
            self._page(target)
            return
        super().do_GET()

    def _live(self, name: str) -> None:
        if name == "status":
            self._send(200, "application/json", self.preview.status())
        elif name in ("live.js", "live.css"):
            kind = "text/javascript" if name.endswith(".js") else "text/css"
            self._send(200, kind, resources.files(__package__).joinpath("live", name).read_bytes())
        else:
            self._send(404, "text/plain", b"not found")

    def _page(self, target: Path) -> None:
        status = 200
        if not target.is_file():
            status, target = 404, Path(self.translate_path("/404.html"))
        try:
            html = target.read_bytes()
        except OSError:
            self._send(404, "text/plain", b"not built yet: see the terminal")
            return
        page = html.replace(b"</body>", _SCRIPT + b"</body>", 1)
        self._send(status, "text/html; charset=utf-8", page)

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s", format % args)
