"""The email ledger: which plan versions were sent, so that each is sent at most once.

An SQLite database in the output folder (`email-ledger.sqlite`, owner-only), one row per
message, keyed by (patient id, plan version): its state, the Message-ID, when, and which run
claimed it. Every change is a transaction committed to disk before the next step of sending:

- `sending`: a run has claimed the message and is about to send it. Another run at the same
  time sees the claim and leaves the message alone. A claim whose run has ended (killed while
  sending) counts as `unknown`: the message may have gone out.
- `sent`: the server confirmed it.
- `unknown`: it may have been delivered. It is sent again only on purpose (`--resend`).

A message that certainly was not sent (the server refused it) loses its claim, so a re-run
sends it. The ledger of earlier versions, `email-ledger.jsonl`, is imported once, in the
transaction that creates the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from generator.core.atomic import PRIVATE_FILE, make_dir
from generator.core.errors import OutputError, Problem
from generator.core.files import Unreadable, read_bytes

LEDGER_FILE = "email-ledger.sqlite"
OLD_LEDGER_FILE = "email-ledger.jsonl"
APPLICATION_ID = 0x52325231  # "R2R1" in the database header: this file is our ledger
SCHEMA_VERSION = 1
OLD_LEDGER_LIMIT = 64_000_000
LOCK_WAIT = 60.0  # seconds to wait for another run's transaction (each lasts milliseconds)

SCHEMA = """
CREATE TABLE messages (
    patient TEXT NOT NULL,
    version TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'unknown')),
    message_id TEXT NOT NULL,
    at TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    PRIMARY KEY (patient, version)
)
"""

Row = tuple[str, str, str, str]  # state, message_id, at, claimed_by


class Status(enum.Enum):
    """Where a message stands in the ledger."""

    NEW = "not in the ledger"
    CLAIMED = "claimed by this run, to be sent now"
    BUSY = "being sent by another run"
    SENT = "sent"
    UNKNOWN = "possibly delivered"


class Ledger:
    """An open ledger; `open` checks or creates it, and the methods are its transactions."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self.run = f"{socket.gethostname()}/{os.getpid()}"
        self._before: dict[tuple[str, str], Row] = {}  # rows this run's claims replaced

    @classmethod
    def open(cls, out: Path, *, read_only: bool = False) -> Ledger:
        """The ledger of the output folder `out`, created if missing (unless `read_only`).

        A read-only ledger that does not exist yet is an empty one in memory (with the old
        file's records), so a dry run writes nothing.
        """
        path = out / LEDGER_FILE
        if read_only and (not path.exists() or path.stat().st_size == 0):
            db = sqlite3.connect(":memory:", isolation_level=None)
        else:
            if not read_only:
                _create_private(path)
            db = _connect(path, read_only=read_only)
        ledger = cls(db, path)
        try:
            ledger._prepare(out, read_only=read_only)
        except BaseException:
            db.close()
            raise
        return ledger

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.db.close()

    def status(self, patient_id: str, version: str) -> Status:
        """Where this version of this patient's plan stands (NEW when it was never sent)."""
        return _status(self._row(patient_id, version))

    def message_id(self, patient_id: str, version: str) -> str | None:
        """The Message-ID the message was last sent with, if it was."""
        row = self._row(patient_id, version)
        return None if row is None else row[1]

    def claim(
        self, patient_id: str, version: str, message_id: str, when: dt.datetime, *, resend: bool
    ) -> Status:
        """Claim the message for this run (CLAIMED), unless another run is sending it, or it
        was sent or possibly delivered and `resend` is off: then say which."""
        key = (patient_id, version)
        with self._writing() as db:
            row = self._row(*key)
            found = _status(row)
            if row is not None and row[0] == "sending" and found is Status.UNKNOWN:
                db.execute(  # the run that claimed it ended without saying how it went
                    "UPDATE messages SET state = 'unknown' WHERE patient = ? AND version = ?", key
                )
                row = ("unknown", *row[1:])
            if found is Status.BUSY or (found is not Status.NEW and not resend):
                return found
            db.execute(
                "INSERT OR REPLACE INTO messages VALUES (?, ?, 'sending', ?, ?, ?)",
                (*key, message_id, _stamp(when), self.run),
            )
        if row is not None:
            self._before[key] = row
        return Status.CLAIMED

    def settle(self, patient_id: str, version: str, state: str, when: dt.datetime) -> None:
        """Record how this run's claimed message went: `sent` or `unknown`."""
        with self._writing() as db:
            db.execute(
                "UPDATE messages SET state = ?, at = ? "
                "WHERE patient = ? AND version = ? AND claimed_by = ?",
                (state, _stamp(when), patient_id, version, self.run),
            )
        self._before.pop((patient_id, version), None)

    def release(self, patient_id: str, version: str) -> None:
        """Give up this run's claim on a message that certainly was not sent."""
        key = (patient_id, version)
        mine = (*key, self.run)
        with self._writing() as db:
            before = self._before.pop(key, None)
            if before is None:
                db.execute(
                    "DELETE FROM messages WHERE patient = ? AND version = ? AND claimed_by = ?",
                    mine,
                )
            else:
                db.execute(
                    "UPDATE messages SET state = ?, message_id = ?, at = ?, claimed_by = ? "
                    "WHERE patient = ? AND version = ? AND claimed_by = ?",
                    (*before, *mine),
                )

    def _row(self, patient_id: str, version: str) -> Row | None:
        try:
            found = self.db.execute(
                "SELECT state, message_id, at, claimed_by FROM messages "
                "WHERE patient = ? AND version = ?",
                (patient_id, version),
            ).fetchone()
        except sqlite3.Error as error:
            reason = f"cannot be read: {error}"
            raise OutputError([Problem(str(self.path), reason)]) from None
        return None if found is None else (found[0], found[1], found[2], found[3])

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed (synced to disk) before the caller goes on."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            yield self.db
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back()
            reason = f"cannot be written: {error}; stop and check the disk before sending more"
            raise OutputError([Problem(str(self.path), reason)]) from None
        except BaseException:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    def _prepare(self, out: Path, *, read_only: bool) -> None:
        """Check the ledger, or create it and import the old one, in one transaction."""
        try:
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0 and not _tables(self.db):
                self._create(out)
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back()
            raise OutputError([Problem(str(self.path), f"cannot be read: {error}")]) from None
        except BaseException:
            self._roll_back()
            raise

    def _create(self, out: Path) -> None:
        self.db.execute(SCHEMA)
        self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.executemany(
            "INSERT OR IGNORE INTO messages VALUES (?, ?, 'sent', ?, ?, 'imported')",
            _old_records(out / OLD_LEDGER_FILE, out),
        )


def _status(row: Row | None) -> Status:
    if row is None:
        return Status.NEW
    state, _message_id, _at, claimed_by = row
    if state == "sending":
        return Status.BUSY if _running(claimed_by) else Status.UNKNOWN
    return Status.SENT if state == "sent" else Status.UNKNOWN


def _running(claimed_by: str) -> bool:
    """Whether the run that made a claim is still running on this machine.

    A run on another machine cannot be checked: its claim counts as possibly delivered.
    """
    host, _, pid = claimed_by.rpartition("/")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user
        return True
    return True


def _stamp(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def _create_private(path: Path) -> None:
    """Create the (empty) database file owner-only; SQLite gives its journal the same mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    make_dir(path.parent)
    try:
        os.close(os.open(path, flags, PRIVATE_FILE))
    except FileExistsError:
        pass
    except OSError as error:
        raise OutputError([Problem(str(path), f"cannot be created: {error.strerror}")]) from None


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    target = f"{path.as_uri()}?mode=ro" if read_only else path.as_uri()
    try:
        return sqlite3.connect(target, uri=True, timeout=LOCK_WAIT, isolation_level=None)
    except sqlite3.Error as error:
        raise OutputError([Problem(str(path), f"cannot be opened: {error}")]) from None


def _tables(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _old_records(path: Path, out: Path) -> list[tuple[str, str, str, str]]:
    """The records of the JSON-lines ledger of earlier versions, if there is one.

    A line that is not a whole record (cut short by a crash) is skipped, as that ledger's
    reader did.
    """
    if not path.exists():
        return []
    try:
        raw = read_bytes(path, folder=out, limit=OLD_LEDGER_LIMIT, label="the output folder")
    except Unreadable as error:
        raise OutputError([error.problem.within(str(path))]) from None
    records = []
    for line in raw.split(b"\n"):
        record = _old_record(line)
        if record is not None:
            records.append(record)
    return records


def _old_record(line: bytes) -> tuple[str, str, str, str] | None:
    try:
        entry = json.loads(line)
        fields = (entry["patient"], entry["version"], entry["message_id"], entry["sent"])
    except (ValueError, KeyError, TypeError):
        return None
    return fields if all(isinstance(field, str) for field in fields) else None
