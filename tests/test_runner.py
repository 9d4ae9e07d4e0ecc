"""The runner: manifest contents, checkpoints, resume, and interrupted runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multipolar.config import load_scenario
from multipolar.interrupts import Interrupted
from multipolar.io import CHECKPOINT, RUN_FILES, partial_of
from multipolar.runner import resume_run, run_scenario


@pytest.fixture(scope="module")
def coarse():
    return load_scenario(None, ["geography.resolution=1.0"])


def test_manifest_records_the_seed_used_and_the_spinup(tmp_path: Path, coarse) -> None:
    result = run_scenario(
        coarse, backend="numpy", steps=2, out=tmp_path / "r", seed=5, spinup_months=3
    )
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["spinup_months"] == 3
    assert manifest["scenario"]["run"]["seed"] == coarse.run.seed != 5
    assert sorted(p.name for p in result.out_dir.iterdir()) == sorted(RUN_FILES)


def test_the_seed_changes_the_run(tmp_path: Path, coarse) -> None:
    a = run_scenario(coarse, backend="numpy", steps=3, out=tmp_path / "a", seed=1)
    b = run_scenario(coarse, backend="numpy", steps=3, out=tmp_path / "b", seed=2)
    c = run_scenario(coarse, backend="numpy", steps=3, out=tmp_path / "c", seed=1)
    states = "states.parquet"
    assert (a.out_dir / states).read_bytes() == (c.out_dir / states).read_bytes()
    assert (a.out_dir / states).read_bytes() != (b.out_dir / states).read_bytes()


def _interrupt_at(monkeypatch: pytest.MonkeyPatch, month: int) -> None:
    """Deliver a SIGTERM-like interrupt right after ``month`` (outside the pickled model)."""
    from multipolar.guards import FiniteGuard

    original = FiniteGuard.check

    def check(self: FiniteGuard, model: object) -> None:
        original(self, model)
        if model.steps == month:  # type: ignore[attr-defined]
            raise Interrupted(15)

    monkeypatch.setattr(FiniteGuard, "check", check)


def test_interrupted_run_keeps_its_checkpoint_and_resumes_identically(
    tmp_path: Path, coarse, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = run_scenario(
        coarse, backend="numpy", steps=7, out=tmp_path / "whole", checkpoint_every=0
    )
    target = tmp_path / "resumed"
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 5)
        with pytest.raises(Interrupted) as caught:
            run_scenario(coarse, backend="numpy", steps=7, out=target, checkpoint_every=2)
    assert "--resume" in caught.value.resume_hint  # type: ignore[attr-defined]
    assert not target.exists()
    assert (partial_of(target) / CHECKPOINT).is_file()
    result = resume_run(target)
    assert result.resumed_from == 4 and result.model.steps == 7
    assert not partial_of(target).exists()
    for name in RUN_FILES:
        if name != "manifest.json":
            assert (target / name).read_bytes() == (whole.out_dir / name).read_bytes(), name
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["resumed_from_step"] == 4


def test_interrupt_without_checkpoint_leaves_nothing(
    tmp_path: Path, coarse, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupt_at(monkeypatch, 2)
    with pytest.raises(Interrupted):
        run_scenario(coarse, backend="numpy", steps=4, out=tmp_path / "r", checkpoint_every=0)
    assert list(tmp_path.iterdir()) == []


def test_steps_beyond_the_scenario_are_refused_and_leave_nothing(tmp_path: Path, coarse) -> None:
    with pytest.raises(ValueError, match="--steps"):
        run_scenario(coarse, backend="numpy", steps=10_000, out=tmp_path / "r")
    assert list(tmp_path.iterdir()) == []


def test_long_runs_checkpoint_by_default(
    tmp_path: Path, coarse, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multipolar.runner as runner

    monkeypatch.setattr(runner, "AUTO_CHECKPOINT_S", 0.0)  # every run counts as long
    target = tmp_path / "r"
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 3)
        with pytest.raises(Interrupted):
            run_scenario(coarse, backend="numpy", steps=6, out=target)
    assert (partial_of(target) / CHECKPOINT).is_file()
    assert resume_run(target).resumed_from == 2  # the interrupt came before month 3 was saved


def test_write_run_records_the_seed_the_model_used(tmp_path: Path, coarse) -> None:
    from multipolar.io import write_run
    from multipolar.model import MultipolarModel

    model = MultipolarModel(scenario=coarse, backend="numpy", rng=99)
    model.step()
    manifest = json.loads((write_run(model, tmp_path / "r") / "manifest.json").read_text())
    assert manifest["seed"] == 99 != coarse.run.seed
    state = manifest["rng_initial_state"]
    generator = np.random.default_rng()
    generator.bit_generator.state = state
    assert generator.integers(1 << 30) == np.random.default_rng(99).integers(1 << 30)
