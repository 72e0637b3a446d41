"""The one file reader: every settings, content, protocol, interface-text and patient file is
read through it.

It reads only a regular file that lies inside the folder it belongs to (a link out of the
folder would publish, or mail, any file of the machine), never more than a size cap (a device
such as `/dev/zero` never ends; a FIFO never even opens without a writer), and its messages
never quote the file's content: they name what is wrong, and the line of a bad byte.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from generator.core.errors import Problem

KILOBYTE = 1000


class Unreadable(Exception):
    """The file cannot be used; `problem` says why, located inside the file (a line, or none)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def read_bytes(path: Path, *, folder: Path, limit: int, label: str = "") -> bytes:
    """The bytes of `path`, a regular file inside `folder` of at most `limit` bytes.

    `folder` must itself be a real folder where it is, not a link to one elsewhere (a linked
    `content/protocols/` would bring in files from anywhere); pass it resolved to accept a
    link, as for the patient folders named on the command line. `label` names the folder in
    messages (default: its name, like `content/`).
    """
    resolved = _inside(path, folder, label or f"{folder.name}/")
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer for ever.
        # O_NOFOLLOW: the file is read where it was checked, even if a link replaces it.
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(resolved, flags)
    except FileNotFoundError:
        raise Unreadable(Problem("", "no such file")) from None
    except OSError as error:
        raise Unreadable(Problem("", f"cannot be read: {error.strerror}")) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Unreadable(Problem("", "is a folder, not a file"))
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(Problem("", "is not a regular file (a device, a pipe or a socket)"))
        if info.st_size > limit:
            raise Unreadable(Problem("", _too_large(info.st_size, limit)))
        data = _read_at_most(fd, limit + 1)
    except OSError as error:
        raise Unreadable(Problem("", f"cannot be read: {error.strerror}")) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read
        raise Unreadable(Problem("", _too_large(len(data), limit)))
    return data


def read_text(path: Path, *, folder: Path, limit: int, label: str = "", nul: bool = False) -> str:
    """The text of `path` (UTF-8, with or without a byte-order mark): see `read_bytes` and
    `decode`."""
    return decode(read_bytes(path, folder=folder, limit=limit, label=label), nul=nul)


def decode(raw: bytes, *, nul: bool = False) -> str:
    """UTF-8 text, with or without a byte-order mark; `Unreadable` naming the line of a bad
    byte (never the byte), or, unless `nul` allows NUL characters (left for a per-record
    check), binary data."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        message = "is not UTF-8 text; save or export it as UTF-8"
        raise Unreadable(Problem(f"line {line}", message)) from None
    if not nul and "\x00" in text:
        raise Unreadable(Problem("", "contains binary data, not text"))
    return text


def _inside(path: Path, folder: Path, label: str) -> Path:
    """`path` with links resolved, if it lies inside `folder` (its parents' links resolved)."""
    if path.parent == folder and _no_link(path) and _no_link(folder):
        # The common case, a file named in its own folder, without resolving every part of
        # both paths (1000 pages: half the time of a no-change rebuild went there). Opened
        # with O_NOFOLLOW, it cannot become a link between this look and the read.
        return path
    try:
        resolved = path.resolve()
        home = folder.parent.resolve() / folder.name
    except (OSError, RuntimeError):  # a loop of links
        raise Unreadable(Problem("", "is a link that leads nowhere (a loop of links)")) from None
    if not resolved.is_relative_to(home):
        message = f"is a link to a file outside {label}; copy the file in instead"
        raise Unreadable(Problem("", message))
    return resolved


def _no_link(path: Path) -> bool:
    try:
        return not stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:  # missing: the slow path says what is wrong with it
        return False


def _too_large(size: int, limit: int) -> str:
    return f"is {size // KILOBYTE:,} kB; at most {limit // KILOBYTE:,} kB can be read"


def _read_at_most(fd: int, count: int) -> bytes:
    parts = []
    while count > 0:
        part = os.read(fd, min(count, 1 << 20))
        if not part:
            break
        parts.append(part)
        count -= len(part)
    return b"".join(parts)
