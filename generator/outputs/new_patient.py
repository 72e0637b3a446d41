"""`r2r new-patient`: a commented patient file, from the one Jinja environment's template."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from generator.content.library import load_library
from generator.core.atomic import make_dir, write_atomic
from generator.core.errors import ContentError, Problem
from generator.core.project import Project
from generator.patients.model import patient_id_problem
from generator.render.environment import make_environment, render


@dataclass(frozen=True)
class Written:
    """The file `new-patient` wrote."""

    path: Path
    exit_code: int = 0

    def summary(self) -> list[str]:
        """Where the file is."""
        return [f"wrote {self.path}"]


def write_patient_file(project: Project, patient_id: str, folder: Path) -> Written:
    """Write `folder/<id>.yaml` (the folder owner-only); refuse a bad id or an existing file."""
    message = patient_id_problem(patient_id)
    if message:
        raise ContentError([Problem("ID", message)])
    path = folder / f"{patient_id}.yaml"
    if path.exists():
        raise ContentError([Problem(str(path), "already exists; it is never overwritten")])
    env = make_environment(load_library(project), keep_compiled=False)
    text = render(env, "new-patient.yaml", id=patient_id, today=dt.date.today())
    make_dir(folder, private=True)
    write_atomic(path, text.encode(), private=True)
    return Written(path)
