"""`make bench`: our tool beside MkDocs, Pelican and a plain WeasyPrint loop, in one run.

Every figure is the median wall time of several runs of a fresh process (import time counts,
as it does for a clinic), with the peak resident memory of the whole process tree (the
process and its workers), sampled from /proc. The tools run alternately, so that a change in
the machine's load affects them alike.
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import anchors  # noqa: E402
import corpus  # noqa: E402
import patients  # noqa: E402

WORK = HERE / "work"
R2R = [sys.executable, "-m", "generator"]
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measure:
    """Several runs of one command."""

    label: str
    command: list[str]
    before: Callable[[], None] | None = None
    cwd: Path | None = None
    env: dict[str, str] | None = None
    times: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)

    def run(self) -> None:
        if self.before:
            self.before()
        seconds, peak = timed(self.command, self.cwd, self.env)
        self.times.append(seconds)
        self.peaks.append(peak)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class Line:
    """One line of the report: a measure, or a ratio between two."""

    label: str
    seconds: float | None = None
    peak_mib: float | None = None
    note: str = ""


def _tree_rss(root: int) -> int:
    """The resident bytes of `root` and all its descendants, now."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    return total


def timed(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of the process tree of one run of `command`."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env
    )
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
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr.decode()[-2000:]}")
    return elapsed, peak / 2**20


def alternate(measures: list[Measure], runs: int, warmup: int = 0) -> list[Line]:
    """Run the measures in turn, `runs` times, and report their medians.

    `warmup` rounds run first and are not counted: the first run of a tool after another
    finds its files out of the system's caches, whichever tool it is.
    """
    for round_ in range(warmup + runs):
        for measure in measures:
            measure.run()
            if round_ < warmup:
                measure.times.clear()
                measure.peaks.clear()
    return [Line(m.label, m.median, max(m.peaks)) for m in measures]


def remove(*paths: Path) -> Callable[[], None]:
    def clear() -> None:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)

    return clear


def faster(ours: Line, other: Line) -> Line:
    assert ours.seconds and other.seconds
    ratio = other.seconds / ours.seconds
    return Line(f"  ours vs {other.label.split(',')[0]}", note=f"{ratio:.1f}x faster")


def site_lines(pages: int, runs: int, with_anchors: bool) -> list[Line]:
    project = corpus.make_project(WORK / f"site-{pages}", pages)
    ours = [*R2R, "--project", str(project), "site", "-q"]
    edited = project / "content" / "page-0000.md"
    measures = {
        "clean": [
            Measure(f"r2r, clean HTML build, {pages} pages", ours, remove(project / "output"))
        ],
        "none": [Measure(f"r2r, no-change rebuild, {pages} pages", ours)],
        "edit": [
            Measure(
                f"r2r, rebuild after editing one page, {pages} pages", ours, lambda: _append(edited)
            )
        ],
    }
    if with_anchors:
        mkdocs = anchors.mkdocs_project(project, WORK / f"mkdocs-{pages}")
        pelican = anchors.pelican_project(project, WORK / f"pelican-{pages}")
        measures["clean"] += [
            Measure(
                f"MkDocs, clean HTML build, {pages} pages",
                anchors.mkdocs_build(mkdocs),
                remove(mkdocs / "site"),
            ),
            Measure(
                f"Pelican, clean HTML build, {pages} pages",
                anchors.pelican_build(pelican),
                remove(pelican / "output", pelican / "cache"),
            ),
        ]
        measures["none"] += [
            Measure(
                f"MkDocs --dirty (inexact), no-change rebuild, {pages} pages",
                anchors.mkdocs_build(mkdocs, dirty=True),
            ),
            Measure(
                f"Pelican with cache, no-change rebuild, {pages} pages",
                anchors.pelican_build(pelican),
            ),
        ]
        page = mkdocs / "docs" / "page-0000.md"
        post = pelican / "content" / "pages" / "page-0000.md"
        measures["edit"] += [
            Measure(
                f"MkDocs --dirty, rebuild after editing one page, {pages} pages",
                anchors.mkdocs_build(mkdocs, dirty=True),
                lambda: _append(page),
            ),
            Measure(
                f"Pelican with cache, rebuild after editing one page, {pages} pages",
                anchors.pelican_build(pelican),
                lambda: _append(post),
            ),
        ]
    lines = []
    for group in measures.values():
        results = alternate(group, runs, warmup=1)
        lines += results
        lines += [faster(results[0], other) for other in results[1:]]
    return lines


def language_lines(pages: int, runs: int) -> list[Line]:
    """A site in two languages beside one language with as many pages, and with half as many:
    a second language should cost what its pages cost, and nothing more."""
    one = corpus.make_project(WORK / f"languages-{pages}-en", pages)
    double = corpus.make_project(WORK / f"languages-{pages * 2}-en", pages * 2)
    two = corpus.make_project(WORK / f"languages-{pages}-en-es", pages, languages=("en", "es"))

    def site(project: Path) -> list[str]:
        return [*R2R, "--project", str(project), "site", "-q"]

    clean = alternate(
        [
            Measure(
                f"r2r, clean HTML build, {pages} pages, one language",
                site(one),
                remove(one / "output"),
            ),
            Measure(
                f"r2r, clean HTML build, {pages} + {pages} pages, two languages",
                site(two),
                remove(two / "output"),
            ),
            Measure(
                f"r2r, clean HTML build, {pages * 2} pages, one language",
                site(double),
                remove(double / "output"),
            ),
        ],
        runs,
        warmup=1,
    )
    unchanged = alternate(
        [
            Measure(f"r2r, no-change rebuild, {pages} pages, one language", site(one)),
            Measure(f"r2r, no-change rebuild, {pages} + {pages} pages, two languages", site(two)),
        ],
        runs,
        warmup=1,
    )
    base, both, same_pages = clean
    assert base.seconds and both.seconds and same_pages.seconds
    added = Line(
        "  the second language added",
        both.seconds - base.seconds,
        note=f"{pages} more pages in one language added {same_pages.seconds - base.seconds:.2f} s",
    )
    return [*clean, added, *unchanged]


def _append(path: Path) -> None:
    path.write_text(path.read_text() + "\nOne more sentence.\n")


def handout_lines(topics: int, runs: int) -> list[Line]:
    project = corpus.make_project(WORK / f"handouts-{topics}", topics)
    command = [*R2R, "--project", str(project), "handouts", "-q"]
    return alternate(
        [
            Measure(
                f"r2r, handouts for {topics} topics + booklet, {jobs} worker(s)",
                [*command, "--jobs", str(jobs)],
                remove(project / "output"),
            )
            for jobs in (1, 2)
        ],
        runs,
    )


def full_rebuild_lines(pages: int, runs: int) -> list[Line]:
    """A no-change rebuild of a site with all its handouts (made once, kept between runs)."""
    project = WORK / f"full-{pages}"
    if not (project / "output" / "site" / "handouts" / "booklet.pdf").exists():
        corpus.make_project(project, pages)
        print(
            f"(making {pages} handouts and their booklet once; this takes a while)", file=sys.stderr
        )
        subprocess.run([*R2R, "--project", str(project), "build", "-q"], check=True)
    command = [*R2R, "--project", str(project), "build", "-q"]
    return alternate(
        [Measure(f"r2r, no-change rebuild, {pages} pages + their handouts", command)],
        runs,
        warmup=1,
    )


def plan_lines(count: int, runs: int, memory_count: int | None) -> list[Line]:
    project = patients.make_project(WORK / f"plans-{count}", count)
    html = WORK / f"plans-{count}-html"
    shutil.rmtree(html, ignore_errors=True)
    patients.export_html(project, html)
    plans = [
        *R2R,
        "--project",
        str(project),
        "plans",
        str(project / "patients.csv"),
        "--as-of",
        patients.AS_OF.isoformat(),
        "-q",
    ]
    base = "https://harbourside-physio.example/return-to-run/"
    plain = [sys.executable, str(HERE / "plain_loop.py"), str(html), str(WORK / "plain-out"), base]
    lines = alternate(
        [
            Measure(
                f"r2r, plans for {count} patients, 1 worker",
                [*plans, "--jobs", "1"],
                remove(project / "output"),
            ),
            Measure(
                f"r2r, plans for {count} patients, 2 workers",
                [*plans, "--jobs", "2"],
                remove(project / "output"),
            ),
            Measure(
                f"plain WeasyPrint loop, the same {count} plans' HTML",
                plain,
                remove(WORK / "plain-out"),
            ),
        ],
        runs,
    )
    one, two, loop = lines
    for line in lines:
        line.note = f"{count / line.seconds:.2f} plans/s"
    lines += [
        Line(
            "  ours, 1 worker, vs the plain loop",
            note=f"{loop.seconds / one.seconds:.2f} of its rate",
        ),
        Line("  2 workers vs 1 worker", note=f"{one.seconds / two.seconds:.2f}x"),
    ]
    if memory_count:
        big = patients.make_project(WORK / f"plans-{memory_count}", memory_count)
        command = [
            *R2R,
            "--project",
            str(big),
            "plans",
            str(big / "patients.csv"),
            "--as-of",
            patients.AS_OF.isoformat(),
            "-q",
            "--jobs",
            "2",
        ]
        [large] = alternate(
            [
                Measure(
                    f"r2r, plans for {memory_count} patients, 2 workers",
                    command,
                    remove(big / "output"),
                )
            ],
            1,
        )
        large.note = f"{memory_count / large.seconds:.2f} plans/s"
        lines += [
            large,
            Line(
                f"  peak memory, {memory_count} vs {count} plans",
                note=f"{large.peak_mib / two.peak_mib:.2f}x",
            ),
        ]
    return lines


def chart_lines(count: int, runs: int) -> list[Line]:
    """Plans with a pain chart (every patient has check-ins) beside the same plans without."""
    measures = []
    for chart in (False, True):
        project = patients.make_logged_project(WORK / f"charts-{chart}", count, chart=chart)
        command = [*R2R, "--project", str(project), "plans", str(project / "patients")]
        command += ["--as-of", patients.AS_OF.isoformat(), "-q", "--jobs", "1"]
        label = f"r2r, {count} plans with check-ins, {'with' if chart else 'without'} charts"
        measures.append(Measure(label, command, remove(project / "output")))
    without, with_charts = lines = alternate(measures, runs)
    assert without.seconds and with_charts.seconds
    ratio = with_charts.seconds / without.seconds
    return [*lines, Line("  with charts vs without", note=f"{ratio:.2f} of the time")]


# The plans before the symptom log became a form and the plan drew a pain chart: the tool as it
# stood when that work was asked for, the yardstick its issue names ("today's plans").
PLANS_BEFORE_FORMS = "76b7f0d"
FORMS_TARGET = 1.15  # of the time of those plans, at most


def tool_at(commit: str) -> Path | None:
    """The tool as of `commit`, unpacked once under work/ with the one package it used that
    today's tool does not (cmark-gfm), run with this environment's WeasyPrint; None when this
    clone's history lacks the commit (a shallow clone)."""
    target = WORK / f"r2r-{commit}"
    if (target / ".ready").exists():
        return target
    archive = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", commit], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pip += ["--no-deps", "--target", str(target / "deps"), "cmarkgfm>=2024.11.20"]
    subprocess.run(pip, check=True, capture_output=True)
    compileall.compile_dir(target / "generator", quiet=1)
    (target / ".ready").touch()
    return target


def form_lines(count: int, runs: int) -> list[Line]:
    """Plans with the symptom log as a form and a pain chart (every patient has check-ins)
    beside the same patients' plans made by the tool before either existed."""

    def plans(project: Path) -> list[str]:
        command = [*R2R, "--project", str(project), "plans", str(project / "patients")]
        return [*command, "--as-of", patients.AS_OF.isoformat(), "-q", "--jobs", "1"]

    now = patients.make_logged_project(WORK / f"forms-{count}", count)
    measures = [Measure(f"r2r, {count} plans with forms and charts, 1 worker", plans(now))]
    measures[0].before = remove(now / "output")
    before = tool_at(PLANS_BEFORE_FORMS)
    if before is None:
        note = f"(history lacks {PLANS_BEFORE_FORMS}: not compared)"
        return [*alternate(measures, runs), Line("  vs the plans before forms", note=note)]
    then = patients.make_logged_project(WORK / f"forms-{count}-before", count, shipped=before)
    env = {**os.environ, "PYTHONPATH": str(before / "deps")}
    label = f"r2r at {PLANS_BEFORE_FORMS}, the same {count} plans, no form, no chart"
    measures.append(Measure(label, plans(then), remove(then / "output"), cwd=before, env=env))
    ours, theirs = lines = alternate(measures, runs)
    assert ours.seconds and theirs.seconds
    ratio = ours.seconds / theirs.seconds
    note = f"{ratio:.2f} of the time (target: at most {FORMS_TARGET:.2f})"
    return [*lines, Line("  with forms and charts vs before", note=note)]


# What `--only` may name; all of them run by default.
SECTIONS = [
    "site",
    "languages",
    "handouts",
    "full",
    "plans",
    "charts",
    "forms",
    "serve",
    "pathological",
]

PREVIEWED = "shoes-and-surfaces"  # the page the preview measure edits
PREVIEW_TIMEOUT = 120  # seconds: the first build of the whole site, or one rebuild


def pathological_lines(runs: int) -> list[Line]:
    """Pages that once converted in minutes or hours: refused at once, or converted."""
    script = str(HERE / "pathological.py")
    return alternate(
        [
            Measure(f"pathological page: {kind}", [sys.executable, script, kind])
            for kind in (
                "open-brackets",
                "headings-in-one-block",
                "lists-1500-deep",
                "headings-50000",
                "citations-60000",
            )
        ],
        runs,
    )


def preview_lines(edits: int) -> list[Line]:
    """How soon `r2r serve` rewrites an edited page: from the save to the new text in its file.

    A preview runs on a scratch copy of the shipped project, as a clinic runs it; each edit
    is saved once the previous one's rebuild is done.
    """
    project = WORK / "preview"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    for name in ("content", "templates"):
        shutil.copytree(corpus.REPO / name, project / name)
    shutil.copy(corpus.REPO / "site.toml", project / "site.toml")
    page = project / "content" / f"{PREVIEWED}.md"
    built = project / "output" / "site" / f"{PREVIEWED}.html"
    log = WORK / "preview.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [*R2R, "--project", str(project), "serve", "--port", "0", "--no-browser"],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: "Serving on" in log.read_text(), server, log)
        original = page.read_text(encoding="utf-8")
        times = [
            _timed_edit(
                page, f"{original}\nEdit number {n} of the preview measure.\n", built, server, log
            )
            for n in range(edits)
        ]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    median, p90 = statistics.median(times), statistics.quantiles(times, n=10)[-1]
    return [
        Line(
            f"r2r serve, save to page rewritten, {edits} edits",
            median,
            note=f"median {median * 1000:.0f} ms, 90th percentile {p90 * 1000:.0f} ms",
        )
    ]


def _timed_edit(
    page: Path, text: str, built: Path, server: subprocess.Popen[bytes], log: Path
) -> float:
    """Save `text` to `page`; the seconds until `built` holds its last line, once rebuilt."""
    marker, rebuilds = text.splitlines()[-1], log.read_text().count("rebuilt:")
    page.write_text(text, encoding="utf-8")
    saved = time.perf_counter()
    _wait_for(lambda: marker in built.read_text(encoding="utf-8"), server, log, 0.001)
    seconds = time.perf_counter() - saved
    _wait_for(lambda: log.read_text().count("rebuilt:") > rebuilds, server, log)
    return seconds


def _wait_for(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, pause: float = 0.05
) -> None:
    deadline = time.monotonic() + PREVIEW_TIMEOUT
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"r2r serve stopped or stalled:\n{log.read_text()[-2000:]}")
        time.sleep(pause)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="runs per site-build figure (median), after one uncounted run",
    )
    parser.add_argument(
        "--long-runs", type=int, default=3, help="runs per handout and plan figure (median)"
    )
    parser.add_argument("--pages", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--topics", type=int, default=20)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument(
        "--memory-patients",
        type=int,
        default=1000,
        help="a larger plan batch, run once, to see memory stay flat (0: skip)",
    )
    parser.add_argument(
        "--full-rebuild-pages",
        type=int,
        default=1000,
        help="site whose no-change rebuild includes its handouts (0: skip)",
    )
    parser.add_argument(
        "--edits", type=int, default=10, help="edits saved while a preview runs (median, p90)"
    )
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        action="append",
    )
    args = parser.parse_args()
    only = set(args.only or SECTIONS)
    with_anchors = anchors.available()
    # Measure the tool as installed: pip compiles an installed package's bytecode, as it did
    # the anchors', but an editable install does not (and PYTHONDONTWRITEBYTECODE, often set on
    # build machines, would make every run compile it again).
    compileall.compile_dir(HERE.parent / "generator", quiet=1)

    lines: list[Line] = []
    if "site" in only:
        for pages in args.pages:
            lines += site_lines(pages, args.runs, with_anchors)
    if "languages" in only:
        for pages in args.pages:
            lines += language_lines(pages, args.runs)
    if "full" in only and args.full_rebuild_pages:
        lines += full_rebuild_lines(args.full_rebuild_pages, args.runs)
    if "handouts" in only:
        lines += handout_lines(args.topics, args.long_runs)
    if "plans" in only:
        lines += plan_lines(args.patients, args.long_runs, args.memory_patients or None)
    if "charts" in only:
        lines += chart_lines(args.patients, args.long_runs)
    if "forms" in only:
        lines += form_lines(args.patients, args.long_runs)
    if "serve" in only:
        lines += preview_lines(args.edits)
    if "pathological" in only:
        lines += pathological_lines(args.long_runs)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
        f"Python {platform.python_version()}; median of {args.runs} runs after one uncounted "
        f"(site builds), of {args.long_runs} (handouts, plans)"
    )
    if not with_anchors:
        print("(MkDocs and Pelican are not installed in bench/.venv: `make bench` installs them)")
    width = max(len(line.label) for line in lines)
    print(f"{'work':{width}}  {'median s':>9}  {'peak MiB':>9}  note")
    for line in lines:
        seconds = f"{line.seconds:9.2f}" if line.seconds is not None else " " * 9
        peak = f"{line.peak_mib:9.0f}" if line.peak_mib else " " * 9
        print(f"{line.label:{width}}  {seconds}  {peak}  {line.note}")


if __name__ == "__main__":
    main()
