"""`r2r new-patient`: a commented patient file, from the one Jinja environment's template."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from generator.content.library import Library, load_library
from generator.content.protocols import TIERS
from generator.core.atomic import write_new
from generator.core.errors import ContentError, Problem
from generator.core.project import Project
from generator.patients.model import patient_id_problem
from generator.render.environment import make_environment, render


@dataclass(frozen=True)
class Written:
    """The file `new-patient` wrote, and the command that checks it from where it was run."""

    path: Path
    check_command: str
    exit_code: int = 0

    def summary(self) -> list[str]:
        """Where the file is, and what to run once it is filled in."""
        return [f"wrote {self.path}", f"fill it in, then run: {self.check_command}"]


def write_patient_file(
    project: Project, patient_id: str, folder: Path, *, cwd: Path | None = None
) -> Written:
    """Write `folder/<id>.yaml` (the folder owner-only); refuse a bad id or an existing file.

    The file names the `r2r check` command that works from `cwd` (default: the current
    folder)."""
    message = patient_id_problem(patient_id)
    if message:
        raise ContentError([Problem("ID", message)])
    path = folder / f"{patient_id}.yaml"
    exists = Problem(str(path), "already exists; it is never overwritten")
    if path.exists() or path.is_symlink():
        raise ContentError([exists])
    library = load_library(project)
    command = check_command(project.root, path, cwd or Path.cwd())
    text = render(
        make_environment(library, keep_compiled=False),
        "new-patient.yaml",
        id=patient_id,
        check_command=command,
        languages=library.settings.site.languages,
        sites=_sites_by_tier(library),
        protocols=sorted(library.protocols),
        examples=_example_days(dt.date.today()),
    )
    try:
        write_new(path, text.encode(), private=True)
    except FileExistsError:  # written by someone else since the look above
        raise ContentError([exists]) from None
    return Written(path, command)


def check_command(root: Path, path: Path, cwd: Path) -> str:
    """`r2r check PATH` as typed in `cwd`: with `--project` unless `cwd` is the project."""
    target = _shown(path.resolve(), cwd.resolve())
    if cwd.resolve() == root.resolve():
        return f"r2r check {target}"
    return f"r2r --project {_shown(root.resolve(), cwd.resolve())} check {target}"


def _shown(path: Path, cwd: Path) -> str:
    relative = os.path.relpath(path, cwd)
    return path.as_posix() if relative.startswith("../..") else Path(relative).as_posix()


def _sites_by_tier(library: Library) -> list[tuple[str, list[str]]]:
    sites = library.injury_sites
    return [
        (f"{tier} risk", sorted(k for k, site in sites.items() if site.tier == tier))
        for tier in reversed(TIERS)
    ]


def _example_days(today: dt.date) -> list[dt.date]:
    """Example dates for the commented check-ins and review: runs two days apart."""
    return [today + dt.timedelta(days=n) for n in (0, 2, 4, 7)]
