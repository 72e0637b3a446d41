"""`make bench`: time whole `r2r` processes on generated projects; print medians and peak memory.

Each figure is the median wall time of several runs of a fresh process (so import time counts,
as it does for a clinic), with the peak resident memory of the process and its workers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_project

WORK = Path(__file__).resolve().parent / "work"
R2R = [sys.executable, "-m", "generator"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def median_of(runs: int, command: list[str], before=None) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        seconds, peak = timed(command)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def clean(project: Path):
    def remove() -> None:
        subprocess.run(["rm", "-rf", str(project / "output")], check=True)
    return remove


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()

    rows = []
    for pages in args.pages:
        project = make_project(WORK / f"site-{pages}", pages)
        site = [*R2R, "--project", str(project), "site", "-q"]
        cleaned = median_of(args.runs, site, clean(project))
        rows.append((f"clean HTML build, {pages} pages", *cleaned))
        rows.append((f"no-change rebuild, {pages} pages", *median_of(args.runs, site)))
        edited = project / "content" / "page-0000.md"

        def touch(path: Path = edited) -> None:
            path.write_text(path.read_text() + "\nOne more sentence.\n")
        rows.append((f"rebuild after editing one page, {pages} pages",
                     *median_of(args.runs, site, touch)))

    project = make_project(WORK / "handouts-20", 20)
    handouts = [*R2R, "--project", str(project), "handouts", "-q"]
    for jobs in (1, 2):
        rows.append((f"handouts for 20 topics + booklet, {jobs} worker(s)",
                     *median_of(args.runs, [*handouts, "--jobs", str(jobs)], clean(project))))

    width = max(len(r[0]) for r in rows)
    print(f"{'work':{width}}  {'median s':>9}  {'peak MiB':>9}")
    for label, seconds, peak in rows:
        print(f"{label:{width}}  {seconds:9.2f}  {peak:9.0f}")


if __name__ == "__main__":
    main()
