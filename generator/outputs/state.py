"""The files a product owns in the output folder, and what each was made from.

Each product (the site's pages, the handouts, the plans) keeps a small state file recording,
for every output, a fingerprint of its inputs and a hash of its bytes (as Lektor's build state
does). A rebuild skips an output whose fingerprint is unchanged and whose file is intact, writes
only bytes that differ, and removes the outputs it made last time but not this time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISREG
from typing import Any

from generator.core.atomic import (
    StagedWrites,
    make_dir,
    remove_empty_folders,
    remove_leftovers,
    write_atomic,
)

_FORMAT = 1

log = logging.getLogger(__name__)


def sha256(data: bytes) -> str:
    """The hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def fingerprint(*parts: str | bytes) -> str:
    """One hash of several inputs, unambiguous about where each part ends."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def files_digest(folders: Iterable[Path]) -> str:
    """A hash of every file under `folders`: their relative names and their bytes."""
    parts: list[str | bytes] = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                parts += [path.relative_to(folder).as_posix(), sha256(path.read_bytes())]
    return fingerprint(*parts)


class OutputTree:
    """Writes one product's files under `root`; call `finish` once every file is accounted for."""

    def __init__(self, root: Path, state_file: Path, *, private: bool = False) -> None:
        self.root = root
        self.private = private
        self._opened = time.time()
        # A private tree is written only into its own folders, never through a link.
        self._no_links_under = root if private else None
        if private:
            make_dir(root, private=True, root=root)
        self._state_file = state_file
        self._state_bytes = _bytes_of(state_file)
        self._old = _parse_state(self._state_bytes)
        self._new: dict[str, dict[str, Any]] = {}
        self._staged = StagedWrites(private=private, root=self._no_links_under)
        self._pending: dict[str, tuple[str, str]] = {}  # name -> (inputs, sha256), once committed
        self.written: list[str] = []

    def current(self, name: str, inputs: str) -> bool:
        """Whether `name` exists intact and was made from the same `inputs` fingerprint."""
        entry = self._old.get(name)
        if entry is None or entry["inputs"] != inputs:
            return False
        path = self.root / name
        try:
            stat = path.stat()
        except OSError:
            return False
        if not S_ISREG(stat.st_mode):
            return False
        if (stat.st_size, stat.st_mtime_ns) == (entry["size"], entry["mtime_ns"]):
            self._new[name] = dict(entry)  # one stat per output: a no-change build checks all
        elif sha256(path.read_bytes()) == entry["sha256"]:
            self._record(name, inputs, entry["sha256"])
        else:
            return False
        log.info("%s: skipped, made from the same inputs last time", name)
        return True

    def write(self, name: str, data: bytes, inputs: str | None = None) -> bool:
        """Stage `name` unless it already holds `data`; say whether it will be written.

        Staged files become visible together, with one sync, when `finish` is called.
        """
        digest = sha256(data)
        path = self.root / name
        entry = self._old.get(name)
        unchanged = entry is not None and entry["sha256"] == digest and _intact(path, entry)
        if unchanged or _holds(path, data):
            log.info("%s: skipped, it already holds what was made", name)
            if unchanged and entry is not None:  # its size and time were just read
                self._new[name] = {**entry, "inputs": inputs or digest}
            else:
                self._record(name, inputs or digest, digest)
            return False
        log.info("%s: written", name)
        self._staged.add(path, data)
        self._pending[name] = (inputs or digest, digest)
        self.written.append(name)
        return True

    def target(self, name: str) -> tuple[Path, Path | None]:
        """Where another process writes `name`, and the folder below which it may follow no
        link (for `write_atomic`'s `root`)."""
        return self.root / name, self._no_links_under

    def written_elsewhere(self, name: str, inputs: str, digest: str) -> None:
        """Account for a file another process wrote (a PDF rendered by a worker)."""
        self.written.append(name)
        self._record(name, inputs, digest)

    def keep(self, name: str) -> None:
        """Keep `name` as it was (its render failed): its old file and record stay."""
        if name in self._old:
            self._new[name] = self._old[name]

    def finish(self, *, prune: bool = True) -> list[str]:
        """Save the state; with `prune`, first remove the outputs made last time but not now.

        Without `prune` (plans: each run makes only the patients it is given), earlier
        outputs and their records are kept. Temporary files left by a run that was killed
        are removed. Returns the removed names.
        """
        self._staged.commit()
        for folder in (self.root, self._state_file.parent):
            remove_leftovers(folder, older_than=self._opened)
        for name, (inputs, digest) in self._pending.items():
            self._record(name, inputs, digest)
        self._pending = {}
        if not prune:
            self._new = {**self._old, **self._new}
        removed = sorted(set(self._old) - set(self._new))
        for name in removed:
            with contextlib.suppress(FileNotFoundError):
                (self.root / name).unlink()
            remove_empty_folders((self.root / name).parent, self.root)
        if not removed and not self.written and self._new == self._old:
            return removed  # nothing to say that the state file does not already say
        state = json.dumps(
            {"format": _FORMAT, "outputs": dict(sorted(self._new.items()))}, indent=0
        ).encode()
        if removed or self.written or state != self._state_bytes:
            make_dir(self._state_file.parent, private=True)
            write_atomic(self._state_file, state, private=True)
        return removed

    def _record(self, name: str, inputs: str, digest: str) -> None:
        stat = (self.root / name).stat()
        self._new[name] = {
            "inputs": inputs,
            "sha256": digest,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
        }


def _bytes_of(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _intact(path: Path, entry: dict[str, Any]) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (entry["size"], entry["mtime_ns"])


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _parse_state(data: bytes) -> dict[str, dict[str, Any]]:
    try:
        state = json.loads(data) if data else {}
    except ValueError:
        return {}
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        return {}
    outputs = state.get("outputs")
    return outputs if isinstance(outputs, dict) else {}
