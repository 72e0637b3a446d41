"""The one atomic file writer: readers see the old file or the new one, never a part of one."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from generator.core.errors import OutputError, Problem

PUBLIC_FILE, PRIVATE_FILE = 0o644, 0o600
PUBLIC_DIR, PRIVATE_DIR = 0o755, 0o700
# How `tempfile.mkstemp` names our temporary files: `.<target>.<8 random characters>.tmp`.
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def make_dir(path: Path, *, private: bool = False) -> None:
    """Create `path` (and its parents); a private folder is made, or kept, owner-only."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR if private else PUBLIC_DIR)
        if private and path.stat().st_mode & 0o077:
            path.chmod(PRIVATE_DIR)
    except OSError as error:
        message = f"cannot create the folder: {error.strerror}"
        raise OutputError([Problem(str(path), message)]) from None


def write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write `data` to `path` through a synced temporary file in the same folder, then rename."""
    make_dir(path.parent, private=private)
    temp = None
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, PRIVATE_FILE if private else PUBLIC_FILE)
        os.replace(temp, path)
        temp = None
        _sync_dir(path.parent)
    except OSError as error:
        raise OutputError(
            [
                Problem(
                    str(path), f"cannot be written: {error.strerror}; the previous version is kept"
                )
            ]
        ) from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _sync_dir(path: Path) -> None:
    # The rename is durable only once the folder entry itself reaches the disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StagedWrites:
    """Many files replaced atomically at the cost of one sync instead of one per file.

    Each file is written to a temporary file beside its target; `commit` syncs them all to
    disk at once, then renames each over its target and syncs the folders. A reader sees the
    old file or the new one, never a part; a failure before `commit` leaves every target as
    it was.
    """

    def __init__(self, *, private: bool = False) -> None:
        self.private = private
        self._staged: list[tuple[Path, Path]] = []  # (temporary file, target)
        self._folders: set[Path] = set()  # made (or found) already

    def add(self, path: Path, data: bytes) -> None:
        """Write `data` for `path`, not yet visible there."""
        if path.parent not in self._folders:
            make_dir(path.parent, private=self.private)
            self._folders.add(path.parent)
        try:
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            self._staged.append((Path(temp), path))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fchmod(fd, PRIVATE_FILE if self.private else PUBLIC_FILE)
            finally:
                os.close(fd)
        except OSError as error:
            self.abort()
            raise OutputError(
                [
                    Problem(
                        str(path),
                        f"cannot be written: {error.strerror}; the previous version is kept",
                    )
                ]
            ) from None

    def commit(self) -> list[Path]:
        """Make every staged file visible at its target; return the targets."""
        if not self._staged:
            return []
        os.sync()
        folders: set[Path] = set()
        try:
            for temp, path in self._staged:
                os.replace(temp, path)
                folders.add(path.parent)
        except OSError as error:
            self.abort()
            raise OutputError(
                [Problem(str(error.filename), f"cannot be replaced: {error.strerror}")]
            ) from None
        for folder in folders:
            _sync_dir(folder)
        targets = [path for _, path in self._staged]
        self._staged = []
        return targets

    def abort(self) -> None:
        """Forget every staged file, removing the temporary files."""
        for temp, _ in self._staged:
            with contextlib.suppress(OSError):
                temp.unlink()
        self._staged = []


def remove_leftovers(folder: Path, *, older_than: float) -> list[Path]:
    """Remove the temporary files that a run killed mid-write left under `folder`.

    Only files last written before `older_than` (a `time.time()`) are removed, so that the
    temporary files of the running process are left alone. Returns the files removed.
    """
    removed = []
    for parent, _folders, names in os.walk(folder):
        for name in filter(_TEMPORARY.fullmatch, names):
            path = Path(parent, name)
            with contextlib.suppress(OSError):
                if path.lstat().st_mtime < older_than:
                    path.unlink()
                    removed.append(path)
    return removed
