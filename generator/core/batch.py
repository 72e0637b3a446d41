"""The one batch runner: many independent items, a process pool, per-item errors.

Pages are converted, and handouts and plans rendered, through `run_batch`. Every item succeeds
or fails on its own; a failure is one line naming the item, and the others are still
produced. Workers are separate processes (WeasyPrint uses one core per document and is not
safe to fork after import), each prepared once by `setup` and, if asked, replaced after a
number of items to bound memory. The runner never prints: it reports to a `Reporter` that
the caller chooses.

What a worker prepares (a Markdown pipeline, a PDF writer with its fonts) is the batch's
*context*: `setup.function(*setup.args)` makes it once per process and every task receives it
as `work(context, payload)`. The contexts a process has made are the package's one piece of
per-process state (`_WORKER` below), so that the caller's own process, which runs one-job
batches, prepares a renderer once and not once per batch.
"""

from __future__ import annotations

import atexit
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

from generator.core.errors import Problem, R2RError

P = TypeVar("P")
log = logging.getLogger(__name__)
# The loggers of the libraries tasks call (WeasyPrint and its font tools): what they warn
# about travels back with the task's outcome, to be logged under the task's name.
RENDERER_LOGGERS = ("weasyprint", "fontTools")
KEPT_CONTEXTS = 4  # contexts a process keeps, for a preview that alternates pages and PDFs


@dataclass(frozen=True)
class Task(Generic[P]):
    """One item of a batch: a name for messages and the payload its worker needs."""

    name: str
    payload: P
    private: bool = False  # what the renderer warns may quote private data: count, not quote


@dataclass(frozen=True)
class Done:
    """What became of one task: its value, or the problems that made it fail."""

    name: str
    value: Any = None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def located(self) -> tuple[Problem, ...]:
        """The problems, each located inside the task's name."""
        return tuple(problem.within(self.name) for problem in self.problems)


@dataclass(frozen=True)
class Setup:
    """How a process prepares the batch's context: `function(*args)`, once per process.

    Both must be picklable and hashable (a process keeps the context of each setup it met).
    """

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()


class _Worker:
    """The contexts this process has prepared, by setup: a pool's worker keeps the one of its
    batch; the caller's own process keeps a few, reused by the next batch with the same setup
    (a preview's rebuilds do not load fonts again)."""

    def __init__(self) -> None:
        self.contexts: dict[Setup, Any] = {}
        # A renderer's resources (WeasyPrint's fonts) clean up in __del__, which fails when it
        # runs only as the interpreter tears its modules down: release them before that.
        atexit.register(self.contexts.clear)

    def context(self, setup: Setup | None) -> Any:
        if setup is None:
            return None
        if setup not in self.contexts:
            while len(self.contexts) >= KEPT_CONTEXTS:
                del self.contexts[next(iter(self.contexts))]
            self.contexts[setup] = setup.function(*setup.args)
        return self.contexts[setup]


_WORKER = _Worker()


def _prepare(setup: Setup | None) -> None:
    """A pool worker's initializer: make the context before the first task arrives."""
    _WORKER.context(setup)


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
    def problems(self) -> list[Problem]:
        """Every problem of every failed task, located inside the task's name."""
        return [problem for done in self.failed for problem in done.located]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self, label: str) -> list[str]:
        """An error line per problem, then the count of items made and failed."""
        lines = [f"error: {problem}" for problem in self.problems]
        lines.append(f"{label}: {len(self.succeeded)} made, {len(self.failed)} failed")
        return lines


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
    work: Callable[[Any, P], Any],
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
    """Run `work(context, task.payload)` for every task, report each outcome, never raise for one.

    The context is what `setup` prepares in each process (None without a setup). `work` and
    `setup.function` must be importable module-level functions. `tasks` may be a
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


def _private_warnings(warnings: list[str]) -> tuple[str, ...]:
    """A private task's renderer warnings, counted: WeasyPrint's quote the text they are about
    (`.notdef glyph ... "<a patient's name>"`), and a patient's text never reaches a log."""
    if not warnings:
        return ()
    return (
        f"the PDF renderer warned {len(warnings)} time(s); not shown, since a warning may "
        "quote the patient's data",
    )


def _run_here(
    tasks: Iterable[Task[P]],
    work: Callable[[Any, P], Any],
    setup: Setup | None,
    reporter: Reporter,
) -> Iterator[tuple[int, Done]]:
    context = _WORKER.context(setup)
    for index, task in enumerate(tasks):
        done = attempt(work, context, task)
        reporter.advance(done)
        yield index, done


def _run_pool(
    tasks: Iterator[Task[P]],
    work: Callable[[Any, P], Any],
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
            initializer=_prepare,
            initargs=(setup,),
        ) as pool:
            results, exhausted = _round(
                pool, numbered, work, setup, reporter, workers, per_round, chunk
            )
            yield from results
        if exhausted:
            return


def _round(
    pool: ProcessPoolExecutor,
    numbered: Iterator[tuple[int, Task[P]]],
    work: Callable[[Any, P], Any],
    setup: Setup | None,
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
                    chunk_of = [task for _, task in items]
                    in_flight[pool.submit(attempt_chunk, work, setup, chunk_of)] = items
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
                    broken = broken or done.problems == _DIED
                    reporter.advance(done)
                    results.append((index, done))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise


_DIED = (
    Problem("", "the worker process stopped unexpectedly (out of memory, or killed); run it again"),
)


def _collect(future: Future[list[Done]], items: list[tuple[int, Task[Any]]]) -> list[Done]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        return [_died(task) for _, task in items]


def _died(task: Task[Any]) -> Done:
    return Done(task.name, problems=_DIED)


def attempt_chunk(
    work: Callable[[Any, P], Any], setup: Setup | None, tasks: list[Task[P]]
) -> list[Done]:
    """Run a chunk of tasks in a pool worker, each on its own (see `attempt`)."""
    context = _WORKER.context(setup)
    return [attempt(work, context, task) for task in tasks]


def attempt(work: Callable[[Any, P], Any], context: Any, task: Task[P]) -> Done:
    """Run one task, turning any exception into its problems and capturing warnings."""
    with _captured_warnings() as warnings:
        try:
            value = work(context, task.payload)
            problems: tuple[Problem, ...] = ()
        except R2RError as error:
            value, problems = None, error.problems
        except Exception as error:  # one bad item must never stop the batch
            log.debug("%s failed", task.name, exc_info=True)
            detail = "" if task.private else f": {error}"  # it may quote a patient's text
            value, problems = None, (Problem("", f"unexpected {type(error).__name__}{detail}"),)
    shown = _private_warnings(warnings) if task.private else tuple(warnings)
    return Done(task.name, value=value, problems=problems, warnings=shown)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage().strip().splitlines()[0])


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    """Collect what the renderers warn about while one task runs (their loggers only: the
    application's own handlers are left alone)."""
    sink: list[str] = []
    handler = _ListHandler(sink)
    loggers = [logging.getLogger(name) for name in RENDERER_LOGGERS]
    propagated = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield sink
    finally:
        for logger, propagate in zip(loggers, propagated, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate
