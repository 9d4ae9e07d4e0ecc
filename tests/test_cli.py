"""The command line end to end: run, validate, exit codes, no tracebacks for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from multipolar import cli
from multipolar.io import RUN_FILES


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.run(
        [sys.executable, "-m", "multipolar.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


def test_run_writes_the_run_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = cli.main(
        ["run", "--backend", "numpy", "--steps", "3", "--seed", "11", "--out", str(out)]
    )
    assert code == 0
    assert f"outputs: {out}" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    model = pl.read_parquet(out / "model.parquet")
    assert model["step"].to_list() == [0, 1, 2, 3]
    assert model.schema["date"] == pl.Date
    for column in (
        "polarity_n_eff",
        "bloc_polarization",
        "ca_share_RUS",
        "ca_share_CHN",
        "ca_share_USA",
        "rivalry_rus_chn_ca",
        "cohesion_CSTO",
        "members_SCO",
    ):
        assert column in model.columns
    shares = model.select(
        pl.sum_horizontal("ca_share_RUS", "ca_share_CHN", "ca_share_USA")
    ).to_series()
    assert np.allclose(shares.to_numpy(), 1.0)
    states = pl.read_parquet(out / "states.parquet")
    assert states.height == 4 * 21
    aligned = (
        states.select(pl.sum_horizontal("align_RUS", "align_CHN", "align_USA"))
        .to_series()
        .to_numpy()
    )
    assert np.allclose(aligned, 1.0)
    basins = pl.read_parquet(out / "basins.parquet")
    assert set(basins["basin"]) >= {"Ferghana", "Tarim", "Caspian", "Aral"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["backend"] == "numpy" and manifest["steps"] == 3
    assert manifest["scenario"]["run"]["seed"] == 11
    with np.load(out / "fields_final.npz") as fields:
        assert fields["fields"].shape[0] == len(fields["channels"]) == 6
        assert np.all(fields["fields"] >= 0)


def test_interrupted_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from multipolar.model import MultipolarModel

    calls = {"n": 0}
    original = MultipolarModel.step

    def step(self: MultipolarModel) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        original(self)

    monkeypatch.setattr(MultipolarModel, "step", step)
    out = tmp_path / "run"
    assert cli.main(["run", "--backend", "numpy", "--steps", "3", "--out", str(out)]) == 130
    assert list(tmp_path.iterdir()) == []


def test_existing_output_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    assert cli.main(["run", "--backend", "numpy", "--steps", "1", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_validate_ok_and_bad_without_traceback(tmp_path: Path) -> None:
    good = run_cli(
        "validate", "configs/central_asia_2023.toml", cwd=Path(__file__).resolve().parents[1]
    )
    assert good.returncode == 0 and good.stdout.strip() == "ok"
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\nextends = "central_asia_2023.toml"\n[alignment]\nrate = 3\nrat = 1\n'
    )
    result = run_cli("validate", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert f"{bad}: alignment.rate: input should be less than or equal to 1" in lines
    assert f"{bad}: alignment.rat: unknown key (did you mean 'rate'?)" in lines


def test_unavailable_backend_names_the_available_ones(tmp_path: Path) -> None:
    result = run_cli("run", "--backend", "tpu", "--steps", "1", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "numpy" in result.stderr and "tpu" in result.stderr


def test_steps_beyond_the_scenario_are_bad_input(tmp_path: Path) -> None:
    result = run_cli("run", "--backend", "numpy", "--steps", "500", "--out", str(tmp_path / "x"))
    assert (
        result.returncode == 2 and "Traceback" not in result.stderr and "--steps" in result.stderr
    )


def test_malformed_set_is_bad_input(tmp_path: Path) -> None:
    result = run_cli(
        "validate",
        "configs/central_asia_2023.toml",
        "--set",
        "alignment.rate",
        cwd=Path(__file__).resolve().parents[1],
    )
    assert (
        result.returncode == 2
        and "--set alignment.rate: expected dotted.key=value" in result.stderr
    )
