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
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from watchfiles import Change, DefaultFilter
from watchfiles._rust_notify import RustNotify  # its documented direct use

from generator.core.errors import R2RError
from generator.core.project import Project

log = logging.getLogger(__name__)
LIVE = "/__r2r__/"
DEBOUNCE_MS = 30  # a build starts once the watched files have been quiet this long
WATCH_STEP_MS = 10  # how often watchfiles looks at what it has seen (and at the stop event)
GROUP_MS = 1600  # the longest watchfiles groups changes that keep coming (its default)
MISSING_CHECK_MS = 500  # how often to look for a watched folder that does not exist
_RELEVANT = DefaultFilter()  # leaves out editors' swap and backup files, .git and the like
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
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        self.project = project
        self.handouts = handouts
        self.jobs = jobs
        self.debounce_ms = debounce_ms
        self._roots = (project.content_dir, project.templates_dir, project.settings_file)
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
        watch = _Watch(self._roots)  # before the build: what is saved while it runs is seen
        self.rebuild()
        self._threads = [
            threading.Thread(target=self._http.serve_forever, daemon=True),
            threading.Thread(target=self._watch, args=(watch,), daemon=True),
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

    def _watch(self, watch: _Watch) -> None:
        try:
            self._build_on_changes(watch)
        except Exception as error:  # e.g. the system's limit on watched folders is reached
            log.error("stopped watching for changes: %s", error, exc_info=True)
        finally:
            watch.close()

    def _build_on_changes(self, watch: _Watch) -> None:
        pending = False  # a change not built yet
        while (changed := watch.wait(self.debounce_ms if pending else 0, self._stop)) is not None:
            if changed:
                pending = True
            elif pending:  # the files have been quiet for `debounce_ms`
                pending = False
                self.rebuild()

    def status(self) -> bytes:
        """What the reload script polls: the build generation and the last error."""
        return json.dumps({"generation": self.generation, "error": self.error}).encode()


class _Watch:
    """watchfiles' watcher on the preview's roots (`content/`, `templates/`, `site.toml`).

    watchfiles watches what a path is when the watch starts: a folder removed (or renamed) and
    made again, or a `site.toml` that an editor saves by renaming a new file over it, is a new
    file that needs a new watch, and a path that does not exist cannot be watched. So the
    watcher is made again when a root is removed or replaced, or a missing root appears.
    """

    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.roots = roots
        self._open()

    def _open(self) -> None:
        while True:
            self.watched = {str(path) for path in self.roots if path.exists()}
            self.missing = [path for path in self.roots if not path.exists()]
            try:
                self._notify = RustNotify(sorted(self.watched), False, False, 0, True, False)
                return
            except FileNotFoundError:  # a root went between the look and the watch
                continue

    def _reopen(self) -> None:
        self.close()
        self._open()

    def close(self) -> None:
        """Stop watching."""
        self._notify.close()

    def wait(self, quiet_ms: int, stop: threading.Event) -> bool | None:
        """Whether the watched files changed, once they have been quiet for a step: True; or
        stayed quiet for `quiet_ms` (0: wait for a change): False; None once `stop` is set.

        watchfiles groups changes until its set of them stops growing, but a file written again
        is no new change, so a save made in several writes may still be going on: the caller
        builds only after a wait that saw no change at all.
        """
        if self.missing and not quiet_ms:
            quiet_ms = MISSING_CHECK_MS
        found = self._notify.watch(GROUP_MS, WATCH_STEP_MS, quiet_ms, stop)
        if isinstance(found, str):  # "timeout", or "stop" ("signal" comes only to the main thread)
            if found != "timeout":
                return None
            if any(path.exists() for path in self.missing):
                self._reopen()
                return True
            return False
        changes = {(Change(c), p) for c, p in found if _RELEVANT(Change(c), p)}
        if any(c is Change.deleted and p in self.watched for c, p in changes):
            self._reopen()
        return bool(changes)


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
