"""The batch runner: one failure never stops the others, in this process or in a pool."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from generator.core.batch import Done, Setup, Task, run_batch
from generator.core.errors import RecordError

from .conftest import REPO

PREPARED: list[str] = []


def prepare(prefix: str) -> str:
    PREPARED.append(prefix)
    return prefix


def work(prefix: str, value: int) -> str:
    if value == 3:
        raise RecordError(["three is refused"])
    if value == 4:
        raise ValueError("four is broken")
    if value == 5:
        logging.getLogger("weasyprint").warning("Ignored `display: grid`\nsecond line")
    return f"{prefix}{value}:{os.getpid()}"


def die(context: None, value: int) -> None:
    os._exit(1)


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    def start(self, label: str, total: int) -> None:
        self.events.append((label, total))

    def advance(self, done: Done) -> None:
        self.events.append(done.name)

    def finish(self) -> None:
        self.events.append("finish")


@pytest.mark.parametrize(
    ("jobs", "chunk", "recycle_after"), [(1, 1, None), (2, 1, None), (2, 4, None), (2, 4, 1)]
)
def test_each_item_succeeds_or_fails_on_its_own(jobs, chunk, recycle_after, caplog):
    tasks = [Task(f"item {i}", i) for i in range(1, 7)]
    recorder = Recorder()
    report = run_batch(
        tasks,
        work,
        label="items",
        jobs=jobs,
        setup=Setup(prepare, ("n",)),
        reporter=recorder,
        chunk=chunk,
        recycle_after=recycle_after,
    )
    assert [d.name for d in report.done] == [t.name for t in tasks]
    assert [d.value.split(":")[0] for d in report.succeeded] == ["n1", "n2", "n5", "n6"]
    assert [str(p) for p in report.problems] == [
        "item 3: three is refused",
        "item 4: unexpected ValueError: four is broken",
    ]
    assert report.exit_code == 1
    assert recorder.events[0] == ("items", 6) and recorder.events[-1] == "finish"
    assert sorted(recorder.events[1:-1]) == sorted(t.name for t in tasks)
    assert "item 5: Ignored `display: grid`" in [r.getMessage() for r in caplog.records]


def quoting(context: None, value: int) -> int:
    logging.getLogger("weasyprint").warning('Ignored .notdef glyph for "Private Name"')
    if value == 2:
        raise ValueError("Private Name cannot be laid out")
    return value


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_private_tasks_renderer_warnings_and_errors_are_counted_not_quoted(jobs, caplog):
    tasks = [Task(f"P{i}", i, private=True) for i in (1, 2)]
    report = run_batch(tasks, quoting, label="plans", jobs=jobs)
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [
        f"P{i}: the PDF renderer warned 1 time(s); not shown, since a warning may quote the "
        "patient's data"
        for i in (1, 2)
    ]
    assert [str(p) for p in report.problems] == ["P2: unexpected ValueError"]
    public = run_batch([Task("page", 1)], quoting, label="pages", jobs=1)
    assert public.done[0].warnings == ('Ignored .notdef glyph for "Private Name"',)


def test_a_pool_really_uses_other_processes():
    report = run_batch(
        [Task(str(i), i) for i in (1, 2)], work, label="x", jobs=2, setup=Setup(prepare, ("",))
    )
    assert {int(d.value.split(":")[1]) for d in report.done}.isdisjoint({os.getpid()})


@pytest.mark.parametrize("chunk", [1, 2])
def test_a_dead_worker_fails_its_items_and_the_batch_returns(chunk):
    report = run_batch([Task(str(i), i) for i in range(5)], die, label="x", jobs=2, chunk=chunk)
    assert report.exit_code == 1 and len(report.done) == 5
    assert all("worker process stopped unexpectedly" in str(p) for p in report.problems)


def test_chunks_of_items_share_a_worker_and_keep_their_order():
    report = run_batch(
        [Task(str(i), i) for i in (1, 2, 6, 7)],
        work,
        label="x",
        jobs=2,
        setup=Setup(prepare, ("",)),
        chunk=2,
    )
    assert [d.value.split(":")[0] for d in report.done] == ["1", "2", "6", "7"]
    first, second = ({d.value.split(":")[1] for d in report.done[i : i + 2]} for i in (0, 2))
    assert len(first) == 1 and len(second) == 1


def test_an_empty_batch_does_nothing():
    assert run_batch([], work, label="none").done == []


def test_this_process_prepares_a_context_once_for_batches_with_the_same_setup():
    # A preview rebuilds again and again in one process: fonts must not be loaded each time.
    PREPARED.clear()
    for _ in range(3):
        report = run_batch([Task("1", 1)], work, label="x", jobs=1, setup=Setup(prepare, ("k",)))
        assert report.done[0].value.startswith("k1:")
    run_batch([Task("1", 1)], work, label="x", jobs=1, setup=Setup(prepare, ("other",)))
    assert PREPARED == ["k", "other"]


def test_a_task_does_not_silence_the_applications_own_logging(caplog):
    # Only the renderers' loggers are captured for the task; the application's are untouched.
    def logged(context: None, value: int) -> int:
        logging.getLogger("generator.test").warning("the application speaks")
        return value

    run_batch([Task("1", 1)], logged, label="x", jobs=1)
    assert "the application speaks" in [r.getMessage() for r in caplog.records]


def has_marker(context: None, _: int) -> bool:
    return "r2r_fork_marker" in sys.modules


_FORK_SCRIPT = """
import sys, threading, types
sys.modules["r2r_fork_marker"] = types.ModuleType("r2r_fork_marker")
from generator.core.batch import Task, run_batch
from tests.test_batch import has_marker
if {thread}:
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()
report = run_batch([Task(str(i), i) for i in range(4)], has_marker, label="x", jobs=2,
                   fork={fork})
print(sorted({{d.value for d in report.done}}))
if {thread}:
    stop.set()
"""


@pytest.mark.parametrize(
    ("fork", "thread", "forked"), [(True, False, True), (False, False, False), (True, True, False)]
)
def test_workers_are_forked_only_when_asked_and_safe(fork, thread, forked):
    # Run in a fresh process: pytest's own workers run threads of their own.
    result = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT.format(fork=fork, thread=thread)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"[{forked}]"
