"""The command line end to end: run, validate, exit codes, no tracebacks for bad input."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from multipolar import cli
from multipolar.io import CHECKPOINT, RUN_FILES, partial_of


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


REPO = Path(__file__).resolve().parents[1]
COARSE = ("--set", "geography.resolution=1.0")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def _module(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "multipolar", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=cwd,
    )


def test_python_dash_m_and_scenarios_listing() -> None:
    process = _module("scenarios")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    lines = dict(line.split(None, 1) for line in out.strip().splitlines())
    assert {"central_asia_2023", "ukraine_war_drain", "bri_acceleration"} <= set(lines)
    assert all(description.strip() for description in lines.values())


def test_validate_print_fragment_and_bundled_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "ukraine_war_drain", "--print"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["name"] == "ukraine_war_drain" and "states" in printed
    assert cli.main(["validate", "alignment_grid"]) == 0  # a bundled sweep, by name
    assert capsys.readouterr().out == "ok\n"
    facts = REPO / "configs" / "data" / "central_asia_facts_2023.toml"
    assert cli.main(["validate", str(facts)]) == 0
    assert capsys.readouterr().out.startswith("ok (a fragment")


def test_validate_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    result = run_cli("validate", str(fifo))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not a regular file" in result.stderr


def test_zero_steps_print_no_empty_phase_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "--backend", "numpy", "--steps", "0", "--out", str(tmp_path / "r"), *COARSE]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "time per phase: \n" not in out and "time per phase:" not in out.splitlines()


def test_force_replaces_an_existing_output(tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "old.txt").write_text("old")
    args = ["run", "--backend", "numpy", "--steps", "1", "--out", str(out), *COARSE]
    assert cli.main(args) == 2
    assert cli.main([*args, "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


def test_bad_output_location_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    args = ["run", "--backend", "numpy", "--steps", "1", *COARSE, "--out"]
    assert cli.main([*args, str(blocker / "run")]) == 2
    assert cli.main([*args, str(tmp_path / ("n" * 300))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not a folder" in err[0] and "too long" in err[1]


def test_resume_without_a_checkpoint_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--resume", str(tmp_path / "nothing")]) == 2
    assert "no interrupted run with a checkpoint" in capsys.readouterr().err


@pytest.mark.slow
def test_concurrent_runs_with_default_folders_all_finish(tmp_path: Path) -> None:
    runs = [
        _module(
            "run", "--backend", "numpy", "--steps", "1", "--seed", str(s), *COARSE, cwd=tmp_path
        )
        for s in (1, 2, 3)
    ]
    results = [(p.communicate(timeout=300), p.returncode) for p in runs]
    assert [code for _, code in results] == [0, 0, 0], results
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 3 and all((f / "manifest.json").is_file() for f in folders)
    assert all(not f.name.startswith(".") for f in folders)


@pytest.mark.slow
def test_concurrent_runs_with_the_same_out_one_wins_the_rest_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "same"
    args = ("run", "--backend", "numpy", "--steps", "1", *COARSE, "--out", str(out))
    runs = [_module(*args, "--seed", str(s)) for s in (1, 2, 3)]
    results = [(p.communicate(timeout=300), p.returncode) for p in runs]
    codes = sorted(code for _, code in results)
    assert codes == [0, 2, 2], results
    for (_, err), code in results:
        assert "Traceback" not in err
        if code == 2:
            assert len(err.strip().splitlines()) == 1 and str(out) in err
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same"]


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "name"),
    [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")] * 2,
)
def test_signal_while_the_numba_kernel_runs(tmp_path: Path, signum: int, name: str) -> None:
    out = tmp_path / "run"
    process = _module(
        "run", "--backend", "numba", "--checkpoint-every", "2", "--out", str(out), cwd=tmp_path
    )
    _wait_for(partial_of(out) / CHECKPOINT, process)
    time.sleep(random.uniform(0.0, 0.3))  # lands inside a step: diffusion is most of it
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err and "SystemError" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"interrupted by {name}; ")
    assert "--resume" in lines[0]
    assert not out.exists()
    assert not list(tmp_path.rglob("manifest.json"))


def test_derive_geodata_without_a_source_says_where_to_download(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "derive_geodata.py"), str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "naturalearth_lowres.shp" in result.stderr
    assert "https://www.naturalearthdata.com/downloads/110m-cultural-vectors/" in result.stderr


def test_validate_never_shows_a_traceback_for_absurd_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 3000 + "\n")
    digits = tmp_path / "digits.toml"
    digits.write_text("a = " + "1" * 5000 + "\n")
    unhashable = tmp_path / "ids.toml"
    unhashable.write_text('name = "x"\nextends = "central_asia_2023.toml"\n[[bases]]\nid = [1]\n')
    for path in (deep, digits, unhashable, Path("/dev/zero")):
        assert cli.main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"{path}: ") and "Traceback" not in err
