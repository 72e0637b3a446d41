"""Atomic writes and the output tree: unchanged bytes are not rewritten, stale outputs removed."""

from __future__ import annotations

import errno
import os
import stat
import time

import pytest

from generator.core.atomic import StagedWrites, remove_leftovers, write_atomic
from generator.core.errors import OutputError
from generator.outputs.state import OutputTree, sha256


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a" / "b.txt"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_private_files_and_folders_are_owner_only(tmp_path):
    target = tmp_path / "plans" / "P1" / "plan.pdf"
    write_atomic(target, b"%PDF", private=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_folder_is_an_error_and_the_old_file_stays(tmp_path):
    target = tmp_path / "out" / "x.txt"
    write_atomic(target, b"old")
    target.parent.chmod(0o555)
    try:
        with pytest.raises(OutputError) as caught:
            write_atomic(target, b"new")
        assert "cannot be written: Permission denied; the previous version is kept" in str(
            caught.value
        )
        assert target.read_bytes() == b"old"
    finally:
        target.parent.chmod(0o755)


def test_a_write_error_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "x.txt"
    write_atomic(target, b"good")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError) as caught:
        write_atomic(target, b"bigger and newer")
    assert "No space left on device" in str(caught.value)
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_output_tree_skips_current_outputs_and_removes_stale_ones(tmp_path):
    root, state = tmp_path / "site", tmp_path / "state.json"
    tree = OutputTree(root, state)
    tree.write("a.html", b"a")
    tree.write("old/b.html", b"b")
    tree.finish()

    tree = OutputTree(root, state)
    assert tree.current("a.html", sha256(b"a"))
    tree.write("c.html", b"c")
    assert tree.finish() == ["old/b.html"]
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["a.html", "c.html"]


def test_a_changed_or_damaged_output_is_not_current(tmp_path):
    root, state = tmp_path / "site", tmp_path / "state.json"
    tree = OutputTree(root, state)
    tree.write("a.pdf", b"pdf-bytes", inputs="v1")
    tree.finish()
    assert not OutputTree(root, state).current("a.pdf", "v2")
    (root / "a.pdf").write_bytes(b"truncated")
    assert not OutputTree(root, state).current("a.pdf", "v1")


def test_staged_files_appear_together_on_commit(tmp_path):
    staged = StagedWrites()
    for n in range(50):
        staged.add(tmp_path / "site" / f"p{n}.html", f"page {n}".encode() * 100)
    assert not list((tmp_path / "site").glob("*.html"))  # written, but not visible yet
    targets = staged.commit()
    assert len(targets) == 50 and (tmp_path / "site" / "p7.html").read_bytes() == b"page 7" * 100
    assert not [p for p in (tmp_path / "site").iterdir() if p.name.endswith(".tmp")]


def test_a_failed_staged_write_names_its_file_and_replaces_nothing(tmp_path, monkeypatch):
    (tmp_path / "keep.html").write_bytes(b"old")
    real_write = os.write

    def no_space_for_b(fd: int, data: bytes) -> int:
        if bytes(data[:1]) == b"B":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    staged = StagedWrites()
    monkeypatch.setattr(os, "write", no_space_for_b)
    staged.add(tmp_path / "keep.html", b"A new")
    with pytest.raises(OutputError) as caught:
        staged.add(tmp_path / "b.html", b"B")
    assert str(caught.value) == (
        f"{tmp_path / 'b.html'}: cannot be written: No space left on "
        "device; the previous version is kept"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.html"]
    assert (tmp_path / "keep.html").read_bytes() == b"old"
    assert staged.commit() == []


def test_an_aborted_stage_leaves_no_temporary_file(tmp_path):
    staged = StagedWrites()
    for n in range(20):
        staged.add(tmp_path / f"p{n}.html", b"x" * 1000)
    staged.abort()
    assert list(tmp_path.iterdir()) == []
    assert staged.commit() == []


def test_a_private_tree_writes_nothing_through_a_link(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "P1").symlink_to(site)
    tree = OutputTree(plans, tmp_path / "state" / "plans.json", private=True)
    with pytest.raises(OutputError) as caught:
        tree.write("P1/plan.ics", b"private")
    assert str(caught.value) == (
        f"{plans / 'P1'}: is a link: nothing is written through a link in a private folder; "
        "remove it"
    )
    with pytest.raises(OutputError):
        write_atomic(plans / "P1" / "plan.pdf", b"private", private=True, root=plans)
    assert list(site.iterdir()) == []


def test_leftovers_are_removed_with_the_folders_they_leave_empty(tmp_path):
    root = tmp_path / "plans"
    for patient in ("P1", "P2"):
        (root / patient).mkdir(parents=True)
        (root / patient / ".plan.pdf.abcd1234.tmp").write_bytes(b"half")
    (root / "P2" / "plan.pdf").write_bytes(b"whole")
    removed = remove_leftovers(root, older_than=time.time() + 1)
    assert len(removed) == 2
    assert sorted(p.name for p in root.iterdir()) == ["P2"]
    assert [p.name for p in (root / "P2").iterdir()] == ["plan.pdf"]


def test_the_state_folder_is_owner_only_from_the_start(scratch):
    from generator.content.library import load_library
    from generator.render.environment import make_environment

    project = scratch.project
    make_environment(load_library(project))  # the first thing a build makes in output/
    assert stat.S_IMODE(project.state_dir.stat().st_mode) == 0o700
