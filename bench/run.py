"""`make bench`: time whole processes on generated projects; print medians and peak memory.

Each figure is the median wall time of several runs of a fresh process (import time counts,
as it does for a clinic), with the peak resident memory of the whole process tree (the
process and its PDF workers), sampled from /proc.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402
import patients  # noqa: E402

WORK = HERE / "work"
R2R = [sys.executable, "-m", "generator"]
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Row:
    """One line of the report."""

    label: str
    seconds: float | None
    peak_mib: float
    note: str = ""


def _tree_rss(root: int) -> int:
    """The resident bytes of `root` and all its descendants, now."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    return total


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of the process tree of one run of `command`."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr.decode()}")
    return elapsed, peak / 2**20


def measure(label: str, runs: int, command: list[str],
            before: Callable[[], None] | None = None, note: str = "") -> Row:
    """The median time and the largest peak of `runs` runs of `command`."""
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        seconds, peak = timed(command)
        times.append(seconds)
        peaks.append(peak)
    return Row(label, statistics.median(times), max(peaks), note)


def remove(path: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(path, ignore_errors=True)


def site_rows(pages: int, runs: int) -> list[Row]:
    project = corpus.make_project(WORK / f"site-{pages}", pages)
    site = [*R2R, "--project", str(project), "site", "-q"]
    edited = project / "content" / "page-0000.md"

    def edit() -> None:
        edited.write_text(edited.read_text() + "\nOne more sentence.\n")

    return [
        measure(f"clean HTML build, {pages} pages", runs, site, remove(project / "output")),
        measure(f"no-change rebuild, {pages} pages", runs, site),
        measure(f"rebuild after editing one page, {pages} pages", runs, site, edit),
    ]


def handout_rows(topics: int, runs: int) -> list[Row]:
    project = corpus.make_project(WORK / f"handouts-{topics}", topics)
    handouts = [*R2R, "--project", str(project), "handouts", "-q"]
    return [measure(f"handouts for {topics} topics + booklet, {jobs} worker(s)", runs,
                    [*handouts, "--jobs", str(jobs)], remove(project / "output"))
            for jobs in (1, 2)]


def plan_rows(count: int, runs: int) -> list[Row]:
    project = patients.make_project(WORK / f"plans-{count}", count)
    html = WORK / f"plans-{count}-html"
    shutil.rmtree(html, ignore_errors=True)
    patients.export_html(project, html)
    plans = [*R2R, "--project", str(project), "plans", str(project / "patients.csv"),
             "--as-of", patients.AS_OF.isoformat(), "-q"]
    base = "https://harbourside-physio.example/return-to-run/"
    rows = [measure(f"plans for {count} patients, {jobs} worker(s)", runs,
                    [*plans, "--jobs", str(jobs)], remove(project / "output"))
            for jobs in (1, 2)]
    plain = [sys.executable, str(HERE / "plain_loop.py"), str(html), str(WORK / "plain-out"), base]
    rows.append(measure(f"plain WeasyPrint loop, same {count} plans' HTML", runs, plain,
                        remove(WORK / "plain-out")))
    for row in rows:
        row.note = f"{count / row.seconds:.2f} plans/s"
    one, two, loop = rows
    rows.append(Row("  our rate / plain loop rate, 1 worker", None, 0,
                    f"{loop.seconds / one.seconds:.2f} (1.00 = no overhead)"))
    rows.append(Row("  2 workers / 1 worker", None, 0, f"{one.seconds / two.seconds:.2f}x"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--pages", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--topics", type=int, default=20)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--only", choices=["site", "handouts", "plans"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["site", "handouts", "plans"])

    rows: list[Row] = []
    if "site" in only:
        for pages in args.pages:
            rows += site_rows(pages, args.runs)
    if "handouts" in only:
        rows += handout_rows(args.topics, args.runs)
    if "plans" in only:
        rows += plan_rows(args.patients, args.runs)

    width = max(len(r.label) for r in rows)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'work':{width}}  {'median s':>9}  {'peak MiB':>9}  note")
    for row in rows:
        seconds = f"{row.seconds:9.2f}" if row.seconds is not None else f"{'':9}"
        peak = f"{row.peak_mib:9.0f}" if row.peak_mib else f"{'':9}"
        print(f"{row.label:{width}}  {seconds}  {peak}  {row.note}")


if __name__ == "__main__":
    main()
