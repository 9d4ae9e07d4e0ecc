"""Run folders: checked before the run, claimed atomically, complete or absent."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import numpy as np
import pytest

from multipolar.io import (
    CHECKPOINT,
    OutputError,
    RunFolder,
    default_out_dir,
    partial_of,
    rename_no_replace,
    safe_name,
    write_atomically,
    write_fields,
)


def test_complete_directory_appears_only_at_the_end(tmp_path: Path) -> None:
    target = tmp_path / "out"

    def fill(folder: Path) -> None:
        (folder / "a.txt").write_text("a")
        assert not target.exists()
        (folder / "b.txt").write_text("b")

    write_atomically(target, fill)
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "b.txt"]
    assert list(tmp_path.iterdir()) == [target]


def test_failure_leaves_no_directory(tmp_path: Path) -> None:
    def fill(folder: Path) -> None:
        (folder / "a.txt").write_text("a")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "out", fill)
    assert list(tmp_path.iterdir()) == []


def test_existing_target_is_never_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    with pytest.raises(OutputError, match="already exists"):
        write_atomically(target, lambda folder: None)
    assert (target / "keep.txt").read_text() == "keep"
    write_atomically(target, lambda folder: (folder / "new.txt").write_text("new"), force=True)
    assert [p.name for p in target.iterdir()] == ["new.txt"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/any/abs/path", "any_abs_path"),
        ("../../x", "x"),
        ("a\nb", "a_b"),
        ("nul\x00here", "nul_here"),
        ("...", "run"),
        ("/abs/../evil\nname", "abs_._evil_name"),
        ("central_asia_2023", "central_asia_2023"),
    ],
)
def test_safe_name_is_one_harmless_path_component(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_long_names_are_cut_and_default_folders_are_unique() -> None:
    assert len(safe_name("x" * 300)) == 80
    folders = {default_out_dir("/abs/../name") for _ in range(50)}
    assert len(folders) == 50
    assert all(f.parent == Path("runs") and f.name.startswith("abs_._name-") for f in folders)


def test_output_problems_are_found_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="too long"):
        RunFolder.claim(tmp_path / ("x" * 300))
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="not a folder"):
        RunFolder.claim(blocker / "sub" / "run")
    with pytest.raises(OutputError, match="cannot create|not writable|not a folder"):
        RunFolder.claim(Path("/proc/x"))


def test_unwritable_parent_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    real_access = os.access
    # root may write anywhere, so the permission check is simulated for this folder only
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if Path(path) == locked else real_access(path, mode)
    )
    with pytest.raises(OutputError, match="not writable"):
        RunFolder.claim(locked / "run")
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_folders_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        target = write_atomically(tmp_path / "a" / "run", lambda folder: None)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert stat.S_IMODE(target.parent.stat().st_mode) == mode


def test_a_created_parent_is_reported(tmp_path: Path) -> None:
    folder, notes = RunFolder.claim(tmp_path / "new" / "deeper" / "run")
    assert notes == [f"note: created the folder {tmp_path / 'new' / 'deeper'}"]
    _, again = RunFolder.claim(tmp_path / "new" / "deeper" / "other")
    assert again == []
    folder.discard()


def test_a_second_claim_of_the_same_target_is_refused(tmp_path: Path) -> None:
    first, _ = RunFolder.claim(tmp_path / "run")
    with pytest.raises(OutputError, match="another run is writing"):
        RunFolder.claim(tmp_path / "run")
    first.discard()
    second, _ = RunFolder.claim(tmp_path / "run")
    assert second.partial.is_dir()


def test_rename_never_replaces(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(FileExistsError):
        rename_no_replace(source, target)
    target.rmdir()
    rename_no_replace(source, target)
    assert target.is_dir() and not source.exists()


def test_a_lost_race_at_the_end_is_a_clean_output_error(tmp_path: Path) -> None:
    target = tmp_path / "run"
    folder, _ = RunFolder.claim(target)
    target.mkdir()
    (target / "manifest.json").write_text("{}")
    with pytest.raises(OutputError, match="created by another run"):
        folder.finish(lambda path: (path / "manifest.json").write_text("mine"))
    assert (target / "manifest.json").read_text() == "{}"
    assert not folder.partial.exists()


def test_concurrent_claims_exactly_one_wins(tmp_path: Path) -> None:
    results: list[str] = []

    def claim() -> None:
        try:
            RunFolder.claim(tmp_path / "run")
            results.append("won")
        except OutputError:
            results.append("refused")

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused"] * 7 + ["won"]


def _dead_partial(parent: Path, name: str, checkpoint: bool) -> Path:
    partial = partial_of(parent / name)
    partial.mkdir(parents=True)
    # pid 2**22 + 1 is above Linux's default pid_max: no such process
    (partial / "owner.json").write_text(json.dumps({"pid": 2**22 + 1, "host": os.uname()[1]}))
    if checkpoint:
        (partial / CHECKPOINT).write_bytes(b"x")
    return partial


def test_stale_partials_are_cleaned_or_reported(tmp_path: Path) -> None:
    dead = _dead_partial(tmp_path, "old", checkpoint=False)
    resumable = _dead_partial(tmp_path, "long", checkpoint=True)
    folder, notes = RunFolder.claim(tmp_path / "new")
    assert not dead.exists()
    assert resumable.exists()
    assert notes == [
        f"note: {resumable} is an interrupted run with a checkpoint; resume it with "
        f"`multipolar run --resume {tmp_path / 'long'}` or remove it"
    ]
    with pytest.raises(OutputError, match="--resume"):
        RunFolder.claim(tmp_path / "long")
    folder.discard()


def test_fields_file_is_byte_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    arrays = {"fields": np.arange(12, dtype=np.float32).reshape(3, 4), "names": np.array(["a"])}
    write_fields(tmp_path / "a.npz", arrays)
    later = time.time() + 86_400 * 400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda *a: time.gmtime(later))
    write_fields(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as loaded:
        assert np.array_equal(loaded["fields"], arrays["fields"])


def test_an_interrupted_run_that_released_its_folder_is_reported_later(tmp_path: Path) -> None:
    partial = partial_of(tmp_path / "paused")
    partial.mkdir()
    (partial / CHECKPOINT).write_bytes(b"x")
    young, _ = RunFolder.claim(tmp_path / "a")
    assert partial.exists()  # under a minute old: maybe a run being set up; left alone
    os.utime(partial, (0, 0))
    folder, notes = RunFolder.claim(tmp_path / "b")
    assert len(notes) == 1 and "--resume" in notes[0] and str(tmp_path / "paused") in notes[0]
    young.discard()
    folder.discard()
