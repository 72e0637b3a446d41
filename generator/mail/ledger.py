"""The email ledger: what was sent, so that each plan version is sent at most once.

One JSON line per message the server accepted (patient id, plan version, Message-ID, time),
appended and synced to disk before the next message goes out. A crash or a dropped connection
in the middle of a batch loses no record; a re-run sends only what is missing. A line cut
short by a crash (or a full disk) is ignored when the ledger is read, and the next record
starts on a line of its own.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from pathlib import Path

from generator.core.atomic import make_dir
from generator.core.errors import OutputError, Problem


class Ledger:
    """The sent messages, read once and appended to as messages are accepted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sent: set[tuple[str, str]] = set()
        try:
            lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            lines = []
        except OSError as error:
            raise OutputError([Problem(str(path), f"cannot be read: {error.strerror}")]) from None
        for line in lines:
            try:
                entry = json.loads(line)
                self._sent.add((str(entry["patient"]), str(entry["version"])))
            except (ValueError, KeyError, TypeError):
                continue

    def sent(self, patient_id: str, version: str) -> bool:
        """Whether this version of this patient's plan was already sent."""
        return (patient_id, version) in self._sent

    def record(self, patient_id: str, version: str, message_id: str, when: dt.datetime) -> None:
        """Add one accepted message, durably, before anything else is sent."""
        entry = {
            "patient": patient_id,
            "version": version,
            "message_id": message_id,
            "sent": when.isoformat(timespec="seconds"),
        }
        make_dir(self.path.parent, private=True)
        line = (json.dumps(entry) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                _write_all(fd, (b"" if _ends_a_line(fd) else b"\n") + line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise OutputError(
                [
                    Problem(
                        str(self.path),
                        f"cannot be written: {error.strerror}; "
                        "stop and check the disk before sending more",
                    )
                ]
            ) from None
        self._sent.add((patient_id, version))


def _ends_a_line(fd: int) -> bool:
    """Whether the file is empty or ends with a line break (not with a line cut short)."""
    size = os.fstat(fd).st_size
    return size == 0 or os.pread(fd, 1, size - 1) == b"\n"


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data`: a write to a nearly full disk may write only a part."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]
