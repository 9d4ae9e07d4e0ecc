"""Checkpoints: a run killed with SIGKILL resumes to outputs identical byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multipolar.checkpoint import CheckpointError, load_checkpoint
from multipolar.io import CHECKPOINT, RUN_FILES, partial_of

REPO = Path(__file__).resolve().parents[1]
RUN = ("run", "--backend", "numba", "--steps", "30", "--seed", "7")


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "multipolar", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out


@pytest.mark.slow
def test_resume_after_sigkill_is_bitwise_identical(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    whole = _cli(*RUN, "--checkpoint-every", "0", "--out", str(reference))
    _finish(whole)

    resumed = tmp_path / "resumed"
    killed = _cli(*RUN, "--checkpoint-every", "4", "--out", str(resumed))
    checkpoint = partial_of(resumed) / CHECKPOINT
    deadline = time.monotonic() + 300
    while not checkpoint.exists():
        assert killed.poll() is None, killed.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert not resumed.exists()

    out = _finish(_cli("run", "--resume", str(resumed)))
    assert "resumed at month" in out and f"outputs: {resumed}" in out
    assert not partial_of(resumed).exists()
    for name in RUN_FILES:
        if name != "manifest.json":
            assert (resumed / name).read_bytes() == (reference / name).read_bytes(), name


def test_damaged_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / CHECKPOINT).write_bytes(b"not a pickle")
    with pytest.raises(CheckpointError, match="cannot read the checkpoint"):
        load_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "missing")


def test_a_checkpoint_from_other_package_versions_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multipolar.checkpoint as checkpoint
    from multipolar.config import load_scenario
    from multipolar.model import MultipolarModel
    from multipolar.runner import RunSettings

    model = MultipolarModel(
        scenario=load_scenario(None, ["geography.resolution=1.0"]), backend="numpy"
    )
    checkpoint.save_checkpoint(tmp_path, model, RunSettings(total=3, seed=0))
    loaded, settings = load_checkpoint(tmp_path)
    assert loaded.steps == model.steps and settings.total == 3
    real = checkpoint.package_versions()
    monkeypatch.setattr(checkpoint, "package_versions", lambda: {**real, "numpy": "0.0"})
    with pytest.raises(CheckpointError, match=r"numpy .* -> 0\.0"):
        load_checkpoint(tmp_path)


def test_restored_fields_are_equal_and_back_on_cache_lines(tmp_path: Path) -> None:
    # Unpickling copies the arrays into fresh memory; the field puts its host buffers back
    # on cache lines, where the Numba backend streams its stores.
    import numpy as np

    import multipolar.checkpoint as checkpoint
    from multipolar.config import load_scenario
    from multipolar.kernels.memory import is_aligned
    from multipolar.model import MultipolarModel
    from multipolar.runner import RunSettings

    model = MultipolarModel(
        scenario=load_scenario(None, ["geography.resolution=1.0"]), backend="numba"
    )
    model.step()
    checkpoint.save_checkpoint(tmp_path, model, RunSettings(total=3, seed=0))
    loaded, _ = load_checkpoint(tmp_path)
    for name in ("u", "_spare", "s", "c"):
        restored = getattr(loaded.field, name)
        assert is_aligned(restored), name
        np.testing.assert_array_equal(restored, getattr(model.field, name))
    model.step()
    loaded.step()
    np.testing.assert_array_equal(loaded.field.to_host(), model.field.to_host())
