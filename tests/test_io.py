"""Atomic run directories: complete or absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from multipolar.io import write_atomically


def test_complete_directory_appears_only_at_the_end(tmp_path: Path) -> None:
    target = tmp_path / "out"

    def fill(folder: Path) -> None:
        (folder / "a.txt").write_text("a")
        assert not target.exists()
        (folder / "b.txt").write_text("b")

    write_atomically(target, fill)
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "b.txt"]


def test_failure_leaves_no_directory(tmp_path: Path) -> None:
    def fill(folder: Path) -> None:
        (folder / "a.txt").write_text("a")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "out", fill)
    assert list(tmp_path.iterdir()) == []


def test_existing_target_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    with pytest.raises(FileExistsError):
        write_atomically(target, lambda folder: None)
    assert (target / "keep.txt").read_text() == "keep"
