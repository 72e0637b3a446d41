"""The one batch runner: many independent items, a process pool, per-item errors.

Pages are converted, and handouts and plans rendered, through `run_batch`. Every item succeeds
or fails on its own; a failure is one line naming the item, and the others are still
produced. Workers are separate processes (WeasyPrint uses one core per document and is not
safe to fork after import), each prepared once by `setup` and, if asked, replaced after a
number of items to bound memory. The runner never prints: it reports to a `Reporter` that
the caller chooses.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

from generator.core.errors import R2RError

P = TypeVar("P")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task(Generic[P]):
    """One item of a batch: a name for messages and the payload its worker needs."""

    name: str
    payload: P


@dataclass(frozen=True)
class Done:
    """What became of one task: its value, or the one-line reason it failed."""

    name: str
    value: Any = None
    error: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Setup:
    """A function each worker process runs once before its first task (and its arguments)."""

    function: Callable[..., None]
    args: tuple[Any, ...] = ()


@dataclass
class BatchReport:
    """Every task's outcome, in the order the tasks were given."""

    done: list[Done] = field(default_factory=list)

    @property
    def failed(self) -> list[Done]:
        return [d for d in self.done if not d.ok]

    @property
    def succeeded(self) -> list[Done]:
        return [d for d in self.done if d.ok]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


class Reporter(Protocol):
    """Receives progress; the CLI draws a bar, tests and libraries pass `SilentReporter`."""

    def start(self, label: str, total: int) -> None: ...
    def advance(self, done: Done) -> None: ...
    def finish(self) -> None: ...


class SilentReporter:
    """A reporter that reports nothing."""

    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, done: Done) -> None:
        pass

    def finish(self) -> None:
        pass


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_batch(
    tasks: Iterable[Task[P]],
    work: Callable[[P], Any],
    *,
    label: str,
    total: int | None = None,
    jobs: int | None = None,
    setup: Setup | None = None,
    reporter: Reporter | None = None,
    recycle_after: int | None = None,
    chunk: int = 1,
    fork: bool = False,
) -> BatchReport:
    """Run `work(task.payload)` for every task and report each outcome; never raise for one.

    `work` and `setup.function` must be importable module-level functions. `tasks` may be a
    generator (give `total` for the progress bar): only a few tasks per worker are taken from
    it at a time, so a batch of thousands keeps memory flat. With `recycle_after`, each worker
    process is replaced after about that many tasks, bounding what a renderer holds on to.
    With one job (or one task) everything runs in this process, through the same code path.
    Tasks that take about a millisecond (converting a page) are sent to the workers `chunk`
    at a time, so that passing them back and forth does not cost more than doing them; each
    still succeeds or fails on its own. With `fork`, for work that never loads WeasyPrint,
    workers are forked from this process when that is safe (no other thread, WeasyPrint not
    loaded): they start in milliseconds, with this process's modules already imported.
    """
    reporter = reporter or SilentReporter()
    if total is None and isinstance(tasks, Sized):
        total = len(tasks)
    if total == 0:
        return BatchReport()
    workers = max(1, min(jobs or default_jobs(), total or default_jobs()))
    reporter.start(label, total or 0)
    try:
        if workers == 1:
            outcomes = dict(_run_here(tasks, work, setup, reporter))
        else:
            outcomes = dict(
                _run_pool(
                    iter(tasks), work, setup, reporter, workers, recycle_after, max(1, chunk), fork
                )
            )
    finally:
        reporter.finish()
    report = BatchReport([outcomes[i] for i in range(len(outcomes))])
    for done in report.done:
        for warning in done.warnings:
            log.warning("%s: %s", done.name, warning)
    return report


def _run_here(
    tasks: Iterable[Task[P]], work: Callable[[P], Any], setup: Setup | None, reporter: Reporter
) -> Iterator[tuple[int, Done]]:
    if setup is not None:
        setup.function(*setup.args)
    for index, task in enumerate(tasks):
        done = attempt(work, task)
        reporter.advance(done)
        yield index, done


def _run_pool(
    tasks: Iterator[Task[P]],
    work: Callable[[P], Any],
    setup: Setup | None,
    reporter: Reporter,
    workers: int,
    recycle_after: int | None,
    chunk: int,
    fork: bool,
) -> Iterator[tuple[int, Done]]:
    # NOTE: workers are recycled by starting a fresh pool for each round of tasks, not with
    # ProcessPoolExecutor's max_tasks_per_child: on Python 3.11 a pool whose workers all
    # retired before the queue was empty waits for ever (CPython gh-115634).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    numbered = enumerate(tasks)
    per_round = workers * recycle_after if recycle_after else None
    while True:
        forkable = fork and threading.active_count() == 1 and "weasyprint" not in sys.modules
        method = "spawn" if os.name != "posix" else "fork" if forkable else "forkserver"
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=setup.function if setup else None,
            initargs=setup.args if setup else (),
        ) as pool:
            results, exhausted = _round(pool, numbered, work, reporter, workers, per_round, chunk)
            yield from results
        if exhausted:
            return


def _round(
    pool: ProcessPoolExecutor,
    numbered: Iterator[tuple[int, Task[P]]],
    work: Callable[[P], Any],
    reporter: Reporter,
    workers: int,
    limit: int | None,
    chunk: int,
) -> tuple[list[tuple[int, Done]], bool]:
    """Run tasks on `pool`, keeping a few chunks in flight, until `limit` or the end."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    in_flight: dict[Future[list[Done]], list[tuple[int, Task[P]]]] = {}
    results: list[tuple[int, Done]] = []
    taken, exhausted, broken = 0, False, False
    try:
        while True:
            while (
                not broken
                and not exhausted
                and len(in_flight) < 2 * workers
                and (limit is None or taken < limit)
            ):
                size = chunk if limit is None else min(chunk, limit - taken)
                items = list(itertools.islice(numbered, size))
                exhausted = len(items) < size
                if not items:
                    break
                try:
                    in_flight[pool.submit(attempt_all, work, [t for _, t in items])] = items
                except BrokenProcessPool:
                    results += [(index, _died(task)) for index, task in items]
                    broken = True
                taken += len(items)
            if not in_flight:
                return results, exhausted and not broken
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                items = in_flight.pop(future)
                for (index, _), done in zip(items, _collect(future, items), strict=True):
                    broken = broken or done.error == _DIED
                    reporter.advance(done)
                    results.append((index, done))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise


_DIED = "the worker process stopped unexpectedly (out of memory, or killed); run it again"


def _collect(future: Future[list[Done]], items: list[tuple[int, Task[Any]]]) -> list[Done]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        return [_died(task) for _, task in items]


def _died(task: Task[Any]) -> Done:
    return Done(task.name, error=_DIED)


def attempt_all(work: Callable[[P], Any], tasks: list[Task[P]]) -> list[Done]:
    """Run a chunk of tasks in a worker, each on its own (see `attempt`)."""
    return [attempt(work, task) for task in tasks]


def attempt(work: Callable[[P], Any], task: Task[P]) -> Done:
    """Run one task, turning any exception into a one-line error and capturing warnings."""
    with _captured_warnings() as warnings:
        try:
            value = work(task.payload)
        except R2RError as error:
            message = error.format().replace("\n", "; ")
            return Done(task.name, error=message, warnings=tuple(warnings))
        except Exception as error:  # one bad item must never stop the batch
            log.debug("%s failed", task.name, exc_info=True)
            message = f"unexpected {type(error).__name__}: {error}"
            return Done(task.name, error=message, warnings=tuple(warnings))
    return Done(task.name, value=value, warnings=tuple(warnings))


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage().strip().splitlines()[0])


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    # Warnings raised while working on a task (WeasyPrint's among them) travel back with the
    # task's outcome, so that the parent can log them under the task's name.
    sink: list[str] = []
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [_ListHandler(sink)]
    try:
        yield sink
    finally:
        root.handlers = saved
