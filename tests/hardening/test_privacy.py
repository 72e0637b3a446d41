"""Privacy: the shipped project built, planned and emailed as `make demo` does, then searched.

No patient's name, address, notes, clearance or diagnosis date may appear anywhere under
`output/site/` (pages, search index, sitemap, handouts' text and metadata), in the build state,
or in anything the commands print; the private folders are owner-only; every PDF's metadata
holds only what the clinic chose (its name, the title, the subject) and no local path.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from generator.content.injury_sites import load_injury_sites
from generator.content.protocols import load_protocols
from generator.content.strings import load_strings
from generator.patients.readers import read_patients

from ..conftest import REPO
from .catalogue import assert_clean_pdf, pdf_text

pytestmark = pytest.mark.slow

AS_OF = "2026-11-23"
COMMANDS = [
    ["build", "--jobs", "2"],
    ["plans", "examples/patients", "--as-of", AS_OF, "--jobs", "2"],
    ["email", "examples/patients", "--as-of", AS_OF, "--dry-run", "--yes", "--jobs", "2"],
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    """The shipped project, with the three commands of `make demo` run as real processes."""
    root = tmp_path_factory.mktemp("privacy") / "clinic"
    root.mkdir()
    for name in ("content", "templates", "examples"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.toml", root / "site.toml")
    log = []
    for command in COMMANDS:
        done = subprocess.run(
            [sys.executable, "-m", "generator", "--project", str(root), *command],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        log.append(done.stdout + done.stderr)
    return root, "\n".join(log)


def private_values(root: Path) -> dict[str, set[str]]:
    """Every example patient's private words, by patient id, leaving out any word that the
    public inputs (content, templates, settings) hold anyway."""
    public = (
        "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for folder in ("content", "templates")
            for p in (root / folder).rglob("*")
            if p.is_file()
        )
        + (root / "site.toml").read_text()
    )
    records = read_patients(
        [root / "examples" / "patients"],
        protocols=load_protocols(root / "content" / "protocols", languages=("en",)),
        sites=load_injury_sites(root / "content" / "injury-sites.yaml", languages=("en",)),
        as_of=dt.date.fromisoformat(AS_OF),
    )
    found: dict[str, set[str]] = {}
    for record in records:
        patient = record.patient
        assert patient is not None, record.problems
        words = {
            patient.name,
            patient.preferred_name or "",
            patient.email or "",
            patient.clearance.by,
            str(patient.injury.diagnosed or ""),
            *patient.name.split(),
            *(patient.email or "@").split("@")[:1],
        }
        words |= {sentence.strip() for sentence in patient.notes.replace("\n", ".").split(".")}
        found[patient.id] = {w for w in words if len(w) >= 4 and w not in public}
    assert len(found) == 12 and all(found.values())
    return found


def leaks(data: str, values: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{pid}: {word}" for pid, words in values.items() for word in words if word in data
    )


def test_nothing_of_a_patient_is_published(demo):
    root, _ = demo
    values = private_values(root)
    site = root / "output" / "site"
    files = [p for p in site.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pdf" for p in files) and any(p.suffix == ".html" for p in files)
    for path in files:
        data = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".pdf":
            reader = pypdf.PdfReader(path)
            data = pdf_text(path) + str(dict(reader.metadata or {}))
        assert leaks(data, values) == [], path
        assert str(root) not in data, f"{path} names the project's folder"
    index = site / "search-index.js"
    if index.exists():  # the site's search, when there is one
        assert leaks(index.read_text(encoding="utf-8"), values) == []


def test_nothing_of_a_patient_is_printed_beyond_the_ids(demo):
    root, log = demo
    assert leaks(log, private_values(root)) == [], log
    assert "Traceback" not in log
    assert "email (dry run): 12 message(s) written to the outbox" in log


def test_the_build_state_holds_ids_and_hashes_only(demo):
    root, _ = demo
    values = private_values(root)
    state = root / "output" / ".r2r"
    for path in state.glob("*.json"):
        assert leaks(path.read_text(encoding="utf-8"), values) == [], path
    assert not (root / "output" / "email-ledger.sqlite").exists()  # a dry run sends nothing


def test_private_folders_and_files_are_owner_only(demo):
    root, _ = demo
    output = root / "output"
    for folder in ("plans", "outbox", ".r2r"):
        assert stat.S_IMODE((output / folder).stat().st_mode) == 0o700, folder
        for path in (output / folder).rglob("*"):
            expected = 0o700 if path.is_dir() else 0o600
            assert stat.S_IMODE(path.stat().st_mode) == expected, path
    assert sorted(p.name for p in (output / "outbox").iterdir()) == sorted(
        f"{pid}.eml" for pid in private_values(root)
    )
    for path in (output / "site").rglob("*"):  # public: readable, and no private mode needed
        assert stat.S_IMODE(path.stat().st_mode) in (0o644, 0o755), path


def test_pdf_metadata_holds_only_what_the_clinic_chose(demo):
    root, _ = demo
    values = private_values(root)
    chosen = {"/Producer", "/Title", "/Author", "/Subject"}
    clinic = "Harbourside Sports Physiotherapy"
    plans = sorted((root / "output" / "plans").glob("*/plan.pdf"))
    handouts = sorted((root / "output" / "site" / "handouts").glob("*.pdf"))
    assert len(plans) == 12 and handouts
    for path in plans + handouts:
        reader = pypdf.PdfReader(path)
        metadata = dict(reader.metadata or {})
        if path in plans:  # what `r2r checkins import` reads back: the id, never a name
            form = {"/r2rpatient", "/r2rversion", "/r2rsessions"}
            assert set(metadata) <= chosen | form, (path, metadata)
            assert metadata["/r2rpatient"] == path.parent.name
        else:
            assert set(metadata) <= chosen, (path, metadata)
        assert metadata["/Author"] == clinic
        assert str(metadata["/Producer"]).startswith("WeasyPrint")
        xmp = reader.trailer["/Root"].get("/Metadata")
        raw = xmp.get_object().get_data().decode("utf-8", "replace") if xmp else ""
        assert leaks(str(metadata) + raw, values) == [], path
        assert str(root) not in raw
        assert_clean_pdf(path, root)
    titles = {load_strings(root / "templates", lang).plan.title for lang in ("en", "es")}
    for path in plans:  # each in its patient's language
        metadata = pypdf.PdfReader(path).metadata
        assert metadata["/Title"] in titles
        assert metadata["/Subject"] == f"{metadata['/Title']} · {clinic}"


def test_calendars_hold_no_name_address_or_notes(demo):
    root, _ = demo
    values = private_values(root)
    for patient_id, words in values.items():
        ics = (root / "output" / "plans" / patient_id / "plan.ics").read_text(encoding="utf-8")
        assert leaks(ics, {patient_id: words}) == [], patient_id
