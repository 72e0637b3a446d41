"""Faults: a run killed mid-batch, a full disk, a read-only output folder, a mail server
that hangs up after taking a message.

Each fault is made real where this machine allows it (SIGKILL always; a small tmpfs, and a
read-only remount of it, when we may mount, as root in a container usually may) and is also
injected through the real code paths (the atomic writer's `os` calls fail with ENOSPC or
EROFS), so that the behaviour is checked everywhere. The contract: a one-line error naming the
file, exit status 1, the previous good outputs kept byte for byte, no temporary file left
behind, and a re-run that completes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdf
import pytest

from generator.core import atomic
from generator.core.errors import OutputError
from generator.mail.ledger import Ledger, Status

from ..conftest import REPO, make_scratch
from ..mailserver import Inbox, running
from .catalogue import Outcome, run_cli

pytestmark = pytest.mark.slow

AS_OF = "2026-11-23"
NOON = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
TEMPORARY = ".*.tmp"


def project_with_patients(root: Path, count: int):
    """A scratch project and `count` copies of an example patient in patients/."""
    scratch = make_scratch(root)
    (scratch.root / "patients").mkdir()
    text = (REPO / "examples" / "patients" / "P1001.yaml").read_text()
    for n in range(count):
        (scratch.root / "patients" / f"K{n:03}.yaml").write_text(
            text.replace("id: P1001", f"id: K{n:03}")
        )
    return scratch


def outputs(root: Path) -> dict[str, bytes]:
    """Every visible output file (the build state and hidden files excepted)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def leftovers(root: Path) -> list[Path]:
    return sorted(root.rglob(TEMPORARY))


def assert_complete(out: Path) -> None:
    """Every visible file is whole: no temporary file is visible, every PDF parses."""
    for name, data in outputs(out).items():
        assert not name.endswith(".tmp"), name
        if name.endswith(".pdf"):
            reader = pypdf.PdfReader(out / name)
            assert len(reader.pages) >= 1, name
        if name.endswith(".ics"):
            assert data.startswith(b"BEGIN:VCALENDAR") and data.rstrip().endswith(b"END:VCALENDAR")


def assert_clean(outcome: Outcome, code: int) -> None:
    text = outcome.output
    assert "Traceback" not in text, text
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), text
    assert outcome.exit_code == code, text


# --- SIGKILL in the middle of a batch -----------------------------------------------------------


def start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    """`r2r` as a real process in a session of its own (workers come from a forkserver)."""
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "--project", str(root), *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_group_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    """SIGKILL the whole process group as soon as `ready()`; wait until every member is gone."""
    deadline = time.monotonic() + 180
    while not ready():
        assert process.poll() is None, "the run ended before it could be killed: give it more work"
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 20
    while _alive_in_group(process.pid):
        assert time.monotonic() < deadline, "a worker outlived the kill"
        time.sleep(0.05)


def _alive_in_group(group: int) -> bool:
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


def test_plans_killed_mid_batch_leave_no_partial_file_and_a_rerun_completes(tmp_path):
    scratch = project_with_patients(tmp_path / "project", 40)
    plans = scratch.root / "output" / "plans"
    run = start(scratch.root, "plans", "patients", "--as-of", AS_OF, "--jobs", "2")
    kill_group_when(run, lambda: plans.is_dir() and any(plans.glob("*/plan.pdf")))
    made = len(list(plans.glob("*/plan.pdf")))
    assert 0 < made < 40
    assert_complete(scratch.root / "output")
    left = leftovers(scratch.root / "output")
    assert left and all(p.name.startswith(".") for p in left)  # hidden, never a plan's name

    again = run_cli(scratch.root, ["plans", "patients", "--as-of", AS_OF, "--jobs", "2"])
    assert_clean(again, 0)
    assert "plans: 40 made" in again.stderr
    assert sorted(p.parent.name for p in plans.glob("*/plan.pdf")) == [
        f"K{n:03}" for n in range(40)
    ]
    assert_complete(scratch.root / "output")
    assert leftovers(scratch.root / "output") == []  # the re-run cleaned what the kill left


def test_a_build_killed_while_rendering_handouts_leaves_the_site_whole(tmp_path):
    scratch = make_scratch(tmp_path / "project")
    for n in range(12):
        scratch.page(
            f"topic-{n:02}",
            (REPO / "content" / "readiness.md").read_text().replace("order: ", f"order: 1{n:02}"),
        )
    handouts = scratch.site / "handouts"
    run = start(scratch.root, "build", "--jobs", "2")
    kill_group_when(run, lambda: handouts.is_dir() and any(handouts.glob("*.pdf")))
    assert_complete(scratch.root / "output")
    again = run_cli(scratch.root, ["build", "--jobs", "2"])
    assert_clean(again, 0)
    assert len(list(handouts.glob("*.pdf"))) == 15  # 14 topics and the booklet
    assert_complete(scratch.root / "output")
    assert leftovers(scratch.root / "output") == []


def test_temporary_files_of_a_killed_run_are_removed_but_not_a_running_ones(tmp_path):
    old = tmp_path / "site" / ".index.html.abcd1234.tmp"
    old.parent.mkdir()
    old.write_bytes(b"<html>half")
    os.utime(old, (time.time() - 60, time.time() - 60))
    fresh = tmp_path / "site" / ".page.html.wxyz5678.tmp"
    fresh.write_bytes(b"being written now")
    mine = tmp_path / "site" / ".notes.txt"
    mine.write_bytes(b"not ours")
    assert atomic.remove_leftovers(tmp_path, older_than=time.time() - 30) == [old]
    assert fresh.exists() and mine.exists()


# --- a full disk ----------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[None]:
    """A tmpfs of `size` mounted at `path`, or a skip where this machine may not mount one."""
    path.mkdir(parents=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> None:
    """Use every free byte of the filesystem holding `disk`."""
    with (disk / "filler").open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    with contextlib.suppress(OSError):
        (disk / "filler").open("ab").close()


def test_a_full_disk_is_an_error_and_the_previous_site_is_kept(tmp_path):
    scratch = make_scratch(tmp_path / "project")
    out = tmp_path / "out"
    with small_disk(out, "8m"):
        assert_clean(run_cli(scratch.root, ["build", "--out", str(out), "--jobs", "1"]), 0)
        before = outputs(out)
        scratch.page(
            "basics",
            (scratch.root / "content" / "basics.md")
            .read_text()
            .replace("title: The basics", "title: The basics, edited"),
        )
        fill(out)
        full = run_cli(scratch.root, ["build", "--out", str(out), "--jobs", "1"])
        assert_clean(full, 1)
        assert [line for line in full.stderr.splitlines() if line.startswith("error:")] == [
            f"error: {out}/site/basics.html: cannot be written: No space left on device; "
            "the previous version is kept"
        ]
        assert {k: v for k, v in outputs(out).items() if k != "filler"} == before
        assert leftovers(out) == []
        (out / "filler").unlink()
        assert_clean(run_cli(scratch.root, ["build", "--out", str(out), "--jobs", "1"]), 0)
        assert "The basics, edited" in (out / "site" / "basics.html").read_text()


def test_plans_on_a_full_disk_keep_the_previous_plans(tmp_path):
    scratch = project_with_patients(tmp_path / "project", 3)
    out = tmp_path / "out"
    with small_disk(out, "8m"):
        assert_clean(
            run_cli(
                scratch.root,
                ["plans", "patients", "--out", str(out), "--as-of", AS_OF, "--jobs", "1"],
            ),
            0,
        )
        before = outputs(out)
        fill(out)
        later = run_cli(
            scratch.root,
            ["plans", "patients", "--out", str(out), "--as-of", "2026-11-30", "--jobs", "1"],
        )
        assert_clean(later, 1)
        assert "No space left on device" in later.stderr
        assert {k: v for k, v in outputs(out).items() if k != "filler"} == before
        assert leftovers(out) == []
        assert_complete(out)


def test_a_full_disk_while_templates_are_compiled(tmp_path):
    scratch = make_scratch(tmp_path / "project")
    out = tmp_path / "out"
    with small_disk(out, "8m"):
        assert_clean(run_cli(scratch.root, ["build", "--out", str(out), "--jobs", "1"]), 0)
        for compiled in (out / ".r2r" / "templates").iterdir():
            compiled.unlink()
        scratch.page("basics", (scratch.root / "content" / "basics.md").read_text() + "\nMore.\n")
        fill(out)
        assert_clean(run_cli(scratch.root, ["build", "--out", str(out), "--jobs", "1"]), 1)


# --- injected faults: any machine ---------------------------------------------------------------


@contextlib.contextmanager
def failing_writes(monkeypatch: pytest.MonkeyPatch, under: Path, code: int) -> Iterator[None]:
    """Every file opened for writing, or folder made, under `under` fails with `code`."""
    real_open, real_mkdir = os.open, os.mkdir
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND

    def inside(path: object) -> bool:
        return isinstance(path, str | bytes | os.PathLike) and Path(
            os.fsdecode(path)
        ).resolve().is_relative_to(under)

    def open_(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & writing and inside(path):
            raise OSError(code, os.strerror(code), os.fsdecode(path))  # type: ignore[arg-type]
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    def mkdir(path: object, *args: object, **kwargs: object) -> None:
        if inside(path) and not os.path.lexists(os.fsdecode(path)):  # type: ignore[arg-type]
            raise OSError(code, os.strerror(code), os.fsdecode(path))  # type: ignore[arg-type]
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", open_)
        patch.setattr(os, "mkdir", mkdir)
        yield


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "Read-only file system"),
        (errno.EACCES, "Permission denied"),
    ],
)
def test_an_injected_write_error_keeps_the_previous_site(tmp_path, monkeypatch, code, reason):
    scratch = make_scratch(tmp_path / "project")
    out = scratch.root / "output"
    assert_clean(run_cli(scratch.root, ["build", "--jobs", "1"]), 0)
    before = outputs(out)
    scratch.page("basics", (scratch.root / "content" / "basics.md").read_text() + "\nMore.\n")
    with failing_writes(monkeypatch, out.resolve(), code):
        failed = run_cli(scratch.root, ["build", "--jobs", "1"])
    assert_clean(failed, 1)
    assert failed.stderr.splitlines()[-1] == (
        f"error: {out}/site/basics.html: cannot be written: {reason}; the previous version is kept"
    )
    assert outputs(out) == before
    assert leftovers(out) == []
    assert_clean(run_cli(scratch.root, ["build", "--jobs", "1"]), 0)
    assert "More." in (out / "site" / "basics.html").read_text()


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")],
)
def test_an_injected_write_error_keeps_the_previous_plans(tmp_path, monkeypatch, code, reason):
    scratch = project_with_patients(tmp_path / "project", 2)
    out = scratch.root / "output"
    args = ["plans", "patients", "--as-of", AS_OF, "--jobs", "1"]
    assert_clean(run_cli(scratch.root, args), 0)
    before = outputs(out)
    with failing_writes(monkeypatch, out.resolve(), code):
        failed = run_cli(
            scratch.root, ["plans", "patients", "--as-of", "2026-11-30", "--jobs", "1"]
        )
    assert_clean(failed, 1)
    assert failed.errors == [
        f"{out}/plans/K000/plan.ics: cannot be written: {reason}; the previous version is kept"
    ]
    assert outputs(out) == before
    assert leftovers(out) == []


def test_an_injected_read_only_folder_while_templates_are_compiled(tmp_path, monkeypatch):
    scratch = make_scratch(tmp_path / "project")
    out = scratch.root / "output"
    assert_clean(run_cli(scratch.root, ["site"]), 0)
    for compiled in (out / ".r2r" / "templates").iterdir():
        compiled.unlink()
    scratch.page("basics", (scratch.root / "content" / "basics.md").read_text() + "\nMore.\n")
    with failing_writes(monkeypatch, out.resolve(), errno.EROFS):
        assert_clean(run_cli(scratch.root, ["site"]), 1)


def test_an_output_folder_that_is_a_file(tmp_path):
    scratch = make_scratch(tmp_path / "project")
    (tmp_path / "out").write_text("a file, not a folder")
    usage = run_cli(scratch.root, ["site", "--out", str(tmp_path / "out")])
    assert_clean(usage, 2)
    assert f"Invalid value for '--out': Directory '{tmp_path}/out' is a file." in usage.stderr
    inside = run_cli(scratch.root, ["site", "--out", str(tmp_path / "out" / "site")])
    assert_clean(inside, 1)
    assert inside.errors == [f"{tmp_path}/out/site/site: cannot create the folder: Not a directory"]
    assert (tmp_path / "out").read_text() == "a file, not a folder"


def test_a_read_only_output_folder_is_reported(tmp_path):
    scratch = make_scratch(tmp_path / "project")
    out = tmp_path / "out"
    with small_disk(out, "8m"):
        assert_clean(run_cli(scratch.root, ["build", "--out", str(out), "--jobs", "1"]), 0)
        before = outputs(out)
        remount = subprocess.run(["mount", "-o", "remount,ro", str(out)], capture_output=True)
        if remount.returncode:
            pytest.skip("cannot remount read-only here")
        scratch.page("basics", (scratch.root / "content" / "basics.md").read_text() + "\nMore.\n")
        built = run_cli(scratch.root, ["build", "--out", str(out), "--jobs", "1"])
        assert_clean(built, 1)
        assert built.errors == [
            f"{out}/site/basics.html: cannot be written: Read-only file "
            "system; the previous version is kept"
        ]
        planned = run_cli(
            scratch.root,
            [
                "plans",
                str(REPO / "examples" / "patients" / "P1001.yaml"),
                "--out",
                str(out),
                "--as-of",
                AS_OF,
                "--jobs",
                "1",
            ],
        )
        assert_clean(planned, 1)
        assert planned.errors == [f"{out}/plans: cannot create the folder: Read-only file system"]
        assert outputs(out) == before


# --- email: the ledger on a failing disk, a reply lost after the data, a run killed ------------

EMAIL_SETTINGS = """
[email]
sender = "Test Clinic <plans@test-clinic.example>"
subject = "Your running plan from Test Clinic"
smtp_host = "127.0.0.1"
smtp_port = {port}
smtp_security = "none"
"""


def emailing_project(root: Path, count: int, port: int):
    """A scratch project with `count` patients (each their own address) and their plans."""
    scratch = project_with_patients(root, count)
    for path in (scratch.root / "patients").iterdir():
        path.write_text(path.read_text().replace("maya.okafor@", f"{path.stem.lower()}@"))
    settings = scratch.root / "site.toml"
    settings.write_text(settings.read_text() + EMAIL_SETTINGS.format(port=port))
    assert_clean(run_cli(scratch.root, ["plans", "patients", "--as-of", AS_OF, "--jobs", "1"]), 0)
    return scratch


def email(root: Path, *args: str) -> Outcome:
    return run_cli(root, ["email", *args, "--as-of", AS_OF, "--yes", "--jobs", "1"])


def test_a_reply_lost_after_the_data_is_never_sent_twice(tmp_path):
    server = Inbox(lose_reply=True)  # keeps each message, then hangs up without a reply
    with running(server) as port:
        scratch = emailing_project(tmp_path / "project", 2, port)
        lost = email(scratch.root, "patients")
        assert_clean(lost, 1)
        assert sorted(server.recipients()) == ["k000@example.org", "k001@example.org"]
        assert lost.errors == [
            f"K00{n}: may have been delivered: the mail server received the whole message, "
            "then the connection was lost (Connection unexpectedly closed) before it "
            "confirmed. It is recorded as possibly delivered and is not sent again: ask the "
            "patient whether it arrived, and if not, send it with --resend"
            for n in range(2)
        ]
        assert lost.stderr.splitlines()[-1] == (
            "email: 0 sent, 0 skipped as already sent, 2 possibly delivered and not sent "
            "again, 0 failed"
        )
        server.lose_reply = False
        again = email(scratch.root, "patients")
        assert_clean(again, 0)
        assert len(server.messages) == 2  # a re-run sends nothing it may have delivered
        assert "warning: K000: may have been delivered by an earlier run" in again.stderr
        resent = email(scratch.root, "patients", "--resend")
        assert_clean(resent, 0)
        first, second = server.messages[:2], server.messages[2:]
        assert sorted(server.recipients()) == ["k000@example.org"] * 2 + ["k001@example.org"] * 2
        assert [m["Message-ID"] for m in first] == [m["Message-ID"] for m in second]


def test_a_full_disk_stops_the_batch_before_a_message_goes_out(tmp_path):
    server = Inbox()
    out = tmp_path / "out"
    with small_disk(out, "8m"), running(server) as port:
        scratch = emailing_project(tmp_path / "project", 3, port)
        shutil.copytree(scratch.root / "output", out, dirs_exist_ok=True)
        first = run_cli(
            scratch.root,
            ["email", "patients/K000.yaml", "--out", str(out), "--as-of", AS_OF, "--yes"],
        )
        assert_clean(first, 0)
        fill(out)
        full = run_cli(
            scratch.root, ["email", "patients", "--out", str(out), "--as-of", AS_OF, "--yes"]
        )
        assert_clean(full, 1)
        assert full.errors == [
            f"{out}/email-ledger.sqlite: cannot be written: database or disk is full; stop "
            "and check the disk before sending more",
            "K001: not sent: the email ledger cannot be written (see above)",
            "K002: not sent: the email ledger cannot be written (see above)",
        ]
        assert server.recipients() == ["k000@example.org"]  # nothing went out unrecorded


def claim_in_a_process(out: Path, then: str) -> subprocess.Popen[str]:
    """A process that claims P1's message in the ledger, says so, then does `then`."""
    code = (
        "import datetime as dt, os, signal, sys\n"
        "from pathlib import Path\n"
        "from generator.mail.ledger import Ledger\n"
        f"ledger = Ledger.open(Path({str(out)!r}))\n"
        "ledger.claim('P1', 'v1', '<a@b>', dt.datetime.now(dt.UTC), resend=False)\n"
        "print('claimed', flush=True)\n"
        f"{then}\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_run_killed_while_sending_leaves_its_message_possibly_delivered(tmp_path):
    killed = claim_in_a_process(tmp_path, "os.kill(os.getpid(), signal.SIGKILL)")
    assert killed.stdout is not None and killed.stdout.readline() == "claimed\n"
    killed.wait()
    with Ledger.open(tmp_path) as ledger:
        assert ledger.status("P1", "v1") is Status.UNKNOWN
        assert ledger.claim("P1", "v1", "<a@b>", NOON, resend=False) is Status.UNKNOWN
        assert ledger.claim("P1", "v1", "<a@b>", NOON, resend=True) is Status.CLAIMED


def test_a_claim_of_a_running_run_is_left_alone_even_with_resend(tmp_path):
    running_run = claim_in_a_process(tmp_path, "sys.stdin.read()")
    try:
        assert running_run.stdout is not None and running_run.stdout.readline() == "claimed\n"
        with Ledger.open(tmp_path) as ledger:
            assert ledger.claim("P1", "v1", "<a@b>", NOON, resend=True) is Status.BUSY
    finally:
        running_run.communicate("")
    with Ledger.open(tmp_path) as ledger:
        assert ledger.status("P1", "v1") is Status.UNKNOWN  # it ended without settling


def test_an_old_ledger_line_cut_short_is_skipped_and_a_damaged_one_refused(tmp_path):
    old = tmp_path / "email-ledger.jsonl"
    old.write_bytes(
        b'{"patient": "P1", "version": "v1", "message_id": "<a@b>", "sent": "x"}\n'
        b'{"patient": "P2", "vers\n'  # a crash in the middle of a line
        b'{"patient": "P3", "version": "v3", "message_id": "<c@d>", "sent": "y"}\n'
    )
    with Ledger.open(tmp_path, read_only=True) as preview:
        assert preview.status("P1", "v1") is Status.SENT
    assert not (tmp_path / "email-ledger.sqlite").exists()  # a dry run writes nothing
    with Ledger.open(tmp_path) as ledger:
        assert ledger.status("P1", "v1") is Status.SENT and ledger.status("P3", "v3") is Status.SENT
        assert ledger.status("P2", "v2") is Status.NEW
    (tmp_path / "email-ledger.sqlite").unlink()
    old.write_bytes(b'\xff\xfe garbage\n[1, 2]\n"text"\n')
    with pytest.raises(OutputError) as caught:
        Ledger.open(tmp_path)
    assert str(caught.value).startswith(f"{old}: line 1 is not a ledger record; nothing was sent")


def test_an_unreadable_ledger_is_reported(tmp_path):
    path = tmp_path / "email-ledger.sqlite"
    path.mkdir()
    with pytest.raises(OutputError) as caught:
        Ledger.open(tmp_path)
    assert str(caught.value) == (
        f"{path}: is not a regular file (a folder, a device or a pipe); remove it"
    )
    path.rmdir()
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(OutputError) as caught:
        Ledger.open(tmp_path)
    assert str(caught.value).startswith(
        f"{path}: is damaged and cannot be read as the email ledger ("
    )
    path.unlink()
    with contextlib.closing(sqlite3.connect(path)) as other:  # another program's database
        other.execute("CREATE TABLE notes (text)")
        other.commit()
    with pytest.raises(OutputError) as caught:
        Ledger.open(tmp_path)
    assert str(caught.value).startswith(
        f"{path}: is damaged and cannot be read as the email ledger (it is not an email "
        "ledger of r2r); nothing was sent."
    )
