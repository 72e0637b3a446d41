"""The email ledger: which plan versions were sent, so that each is sent at most once.

An SQLite database in the output folder (`email-ledger.sqlite`, owner-only), one row per
message, keyed by (patient id, plan version): its state, the Message-ID, when, and which run
claimed it. Every change is a transaction committed to disk before the next step of sending:

- `sending`: a run has claimed the message and is about to send it. Another run at the same
  time sees the claim and leaves the message alone. A claim whose run has ended (killed while
  sending) counts as `unknown`: the message may have gone out.
- `sent`: the server confirmed it.
- `unknown`: the whole message reached the server but its reply was lost, so it may have been
  delivered. It is sent again only on purpose (`--resend`).

A failure that is certain (a refusal, a connection lost before the message was complete)
removes the claim, so a re-run sends the message. The ledger is opened only as a regular file
in the output folder, never through a link, and a damaged one stops sending rather than pass
for an empty one. The ledger of earlier versions, `email-ledger.jsonl`, is imported once, in
the transaction that creates the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import os
import socket
import sqlite3
import stat
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
        file's records), so a dry run writes nothing. `OutputError` names a ledger that is a
        link, not a regular file, damaged, or not ours, and says how to recover.
        """
        path = out / LEDGER_FILE
        before = _regular_or_missing(path)
        _regular_or_missing(path.with_name(f"{LEDGER_FILE}-journal"))
        if read_only and (before is None or before.st_size == 0):
            db = sqlite3.connect(":memory:", isolation_level=None)
        else:
            if before is None:
                _create_private(path)
            db = _connect(path, read_only=read_only)
            _opened_as_checked(path, before, db, private=not read_only)
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
            raise self._damaged(error) from None
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
            else:
                self._check(version)
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back()
            raise self._damaged(error) from None
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

    def _check(self, version: int) -> None:
        if self.db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise self._damaged("it is not an email ledger of r2r")
        if version > SCHEMA_VERSION:
            message = (
                f"was written by a newer r2r (ledger version {version}); nothing was sent: "
                "update r2r, then run again"
            )
            raise OutputError([Problem(str(self.path), message)])
        if version < SCHEMA_VERSION:
            raise self._damaged(f"it says it is of version {version}")
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise self._damaged(problems[0])

    def _damaged(self, reason: object) -> OutputError:
        return OutputError(
            [
                Problem(
                    str(self.path),
                    f"is damaged and cannot be read as the email ledger ({reason}); nothing "
                    "was sent. It records which plans were sent: restore it from a backup, or "
                    "move it away to start a new ledger (every plan then counts as not sent)",
                )
            ]
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


def _regular_or_missing(path: Path) -> os.stat_result | None:
    """The file's status, refusing a link (it could lead to any file, or to /dev/full)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OutputError([Problem(str(path), f"cannot be read: {error.strerror}")]) from None
    if stat.S_ISLNK(info.st_mode):
        message = (
            "is a link; the email ledger is opened only as a regular file in the output "
            "folder: remove the link (if it leads to the real ledger, move that file here)"
        )
        raise OutputError([Problem(str(path), message)])
    if not stat.S_ISREG(info.st_mode):
        message = "is not a regular file (a folder, a device or a pipe); remove it"
        raise OutputError([Problem(str(path), message)])
    return info


def _create_private(path: Path) -> None:
    """Create the (empty) database file owner-only; SQLite gives its journal the same mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    make_dir(path.parent)
    try:
        os.close(os.open(path, flags, PRIVATE_FILE))
    except FileExistsError:
        pass  # another run made it just now; it is checked once opened
    except OSError as error:
        raise OutputError([Problem(str(path), f"cannot be created: {error.strerror}")]) from None


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    target = f"{path.as_uri()}?mode=ro" if read_only else path.as_uri()
    try:
        return sqlite3.connect(target, uri=True, timeout=LOCK_WAIT, isolation_level=None)
    except sqlite3.Error as error:
        raise OutputError([Problem(str(path), f"cannot be opened: {error}")]) from None


def _opened_as_checked(
    path: Path, before: os.stat_result | None, db: sqlite3.Connection, *, private: bool
) -> None:
    """Refuse a file swapped for a link between the check and the opening; make it private.

    SQLite follows links and offers no way to refuse them, so the file is checked before it
    is opened and again after: both times the same regular file.
    """
    try:
        after = _regular_or_missing(path)
        if after is None or (
            before is not None and (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino)
        ):
            raise OutputError([Problem(str(path), "changed while it was opened; run again")])
        if private and after.st_mode & 0o077:
            os.chmod(path, PRIVATE_FILE)
    except OSError as error:
        db.close()
        raise OutputError(
            [Problem(str(path), f"cannot be made private: {error.strerror}")]
        ) from None
    except BaseException:
        db.close()
        raise


def _tables(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _old_records(path: Path, out: Path) -> list[tuple[str, str, str, str]]:
    """The records of the JSON-lines ledger of earlier versions, if there is one.

    A line cut short by a crash (how that ledger's writer begins a record, and not a whole
    one) was never a record and is skipped, as that ledger's reader did; any other line that
    is not a record makes the file damaged: importing only a part would send plans again.
    """
    if _regular_or_missing(path) is None:
        return []
    try:
        raw = read_bytes(path, folder=out, limit=OLD_LEDGER_LIMIT, label="the output folder")
    except Unreadable as error:
        raise OutputError([error.problem.within(str(path))]) from None
    records = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        record = _old_record(line)
        if record is not None:
            records.append(record)
        elif not line.startswith(b'{"patient": "'):
            message = (
                f"line {number} is not a ledger record; nothing was sent. Restore the file "
                "from a backup, or move it away to start a new ledger (every plan then "
                "counts as not sent)"
            )
            raise OutputError([Problem(str(path), message)])
    return records


def _old_record(line: bytes) -> tuple[str, str, str, str] | None:
    try:
        entry = json.loads(line)
        fields = (entry["patient"], entry["version"], entry["message_id"], entry["sent"])
    except (ValueError, KeyError, TypeError):
        return None
    return fields if all(isinstance(field, str) for field in fields) else None
