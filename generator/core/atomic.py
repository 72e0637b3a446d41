"""The one atomic file writer: readers see the old file or the new one, never a part of one."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from generator.core.errors import OutputError, Problem

PUBLIC_FILE, PRIVATE_FILE = 0o644, 0o600
PUBLIC_DIR, PRIVATE_DIR = 0o755, 0o700
# How `tempfile.mkstemp` names our temporary files: `.<target>.<8 random characters>.tmp`.
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def make_dir(path: Path, *, private: bool = False, root: Path | None = None) -> None:
    """Create `path` (and its parents); a private folder is made, or kept, owner-only.

    With `root`, no folder from `root` down to `path` may be a link: a link in a private
    tree (`plans/P1 -> ../site`) would put what is written there somewhere else, in public.
    """
    try:
        if root is not None:
            refuse_links(path, root)
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR if private else PUBLIC_DIR)
        if root is not None:
            refuse_links(path, root)  # made by another process meanwhile
        if private and path.stat().st_mode & 0o077:
            path.chmod(PRIVATE_DIR)
    except OSError as error:
        message = f"cannot create the folder: {error.strerror}"
        raise OutputError([Problem(str(path), message)]) from None


def refuse_links(path: Path, root: Path) -> None:
    """`OutputError` naming the first folder from `root` down to `path` that is a link."""
    for folder in [*reversed(path.parents), path]:
        if folder.is_relative_to(root) and folder.is_symlink():
            message = "is a link: nothing is written through a link in a private folder; remove it"
            raise OutputError([Problem(str(folder), message)])


def write_atomic(
    path: Path, data: bytes, *, private: bool = False, root: Path | None = None
) -> None:
    """Write `data` to `path` through a synced temporary file in the same folder, then rename;
    with `root`, see `make_dir`."""
    make_dir(path.parent, private=private, root=root)
    try:
        with _synced_copy(path, data, private=private) as temp:
            os.replace(temp, path)
        _sync_dir(path.parent)
    except OSError as error:
        message = f"cannot be written: {error.strerror}; the previous version is kept"
        raise OutputError([Problem(str(path), message)]) from None


def write_new(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write `data` to `path` only if no file is there, atomically: a file written meanwhile
    by someone else is never replaced (`FileExistsError`)."""
    make_dir(path.parent, private=private)
    try:
        with _synced_copy(path, data, private=private) as temp:
            os.link(temp, path)  # fails if the name exists: exclusive creation, whole or not at all
        _sync_dir(path.parent)
    except FileExistsError:
        raise
    except OSError as error:
        raise OutputError([Problem(str(path), f"cannot be written: {error.strerror}")]) from None


@contextlib.contextmanager
def _synced_copy(path: Path, data: bytes, *, private: bool) -> Iterator[str]:
    """`data` in a synced temporary file beside `path`, for the caller to move into place;
    removed afterwards if it is still there."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, PRIVATE_FILE if private else PUBLIC_FILE)
        yield temp
    finally:
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

    def __init__(self, *, private: bool = False, root: Path | None = None) -> None:
        self.private = private
        self.root = root  # no link below it: see `make_dir`
        self._staged: list[tuple[Path, Path]] = []  # (temporary file, target)
        self._folders: set[Path] = set()  # made (or found) already

    def add(self, path: Path, data: bytes) -> None:
        """Write `data` for `path`, not yet visible there."""
        if path.parent not in self._folders:
            make_dir(path.parent, private=self.private, root=self.root)
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
    """Remove the temporary files that a run killed mid-write left under `folder`, and the
    folders they leave empty (a killed batch of 100,000 plans leaves thousands).

    Only files last written before `older_than` (a `time.time()`) are removed, so that the
    temporary files of the running process are left alone; a folder that holds anything
    else is kept. Returns the files removed.
    """
    removed = []
    for parent, _folders, names in os.walk(folder):
        for name in filter(_TEMPORARY.fullmatch, names):
            path = Path(parent, name)
            with contextlib.suppress(OSError):
                if path.lstat().st_mtime < older_than:
                    path.unlink()
                    removed.append(path)
    for emptied in sorted({path.parent for path in removed}, reverse=True):
        remove_empty_folders(emptied, folder)
    return removed


def remove_empty_folders(path: Path, top: Path) -> None:
    """Remove the folder `path` and its parents below `top` while they are empty."""
    while path != top and path.is_relative_to(top):
        try:
            os.rmdir(path)  # fails, harmlessly, on a folder that is not empty
        except OSError:
            return
        path = path.parent
