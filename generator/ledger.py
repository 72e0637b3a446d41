"""The email ledger: what was sent, so that each plan version is sent at most once.

One JSON line per message the server accepted (patient id, plan version, Message-ID, time),
appended and synced to disk before the next message goes out. A crash or a dropped connection
in the middle of a batch loses no record; a re-run sends only what is missing. A line cut
short by a crash is ignored when the ledger is read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from .atomic import make_dir
from .errors import OutputError, Problem


class Ledger:
    """The sent messages, read once and appended to as messages are accepted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sent: set[tuple[str, str]] = set()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
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
        entry = {"patient": patient_id, "version": version, "message_id": message_id,
                 "sent": when.isoformat(timespec="seconds")}
        make_dir(self.path.parent, private=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (json.dumps(entry) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise OutputError([Problem(str(self.path), f"cannot be written: {error.strerror}; "
                                       "stop and check the disk before sending more")]) from None
        self._sent.add((patient_id, version))
