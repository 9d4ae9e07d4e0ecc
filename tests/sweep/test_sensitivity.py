from __future__ import annotations

import polars as pl
import pytest

from multipolar.cli import main
from multipolar.config import ScenarioError
from multipolar.sweep import run_sweep
from multipolar.sweep import tasks as sweep_tasks
from multipolar.sweep.sensitivity import analyze

SAMPLED = """
[sweep]
name = "sa"
scenario = "central_asia_2023.toml"
set = ["geography.resolution=1.0"]
months = {months}
seed = 3
[sweep.sampler]
method = "{method}"
samples = {samples}
[sweep.parameters]
{parameters}
"""
SYNTHETIC = """
"alignment.rate" = { low = 0.0, high = 1.0 }
"alignment.temperature" = { low = 0.5, high = 1.5 }
"""


def _synthetic_model(monkeypatch):
    """Runs whose metrics are known functions of the parameters: y ignores temperature."""

    def fake(context, run):
        x = run.values()
        rate, temp = x["alignment.rate"], x["alignment.temperature"]
        steps = range(context.months + 1)
        model = pl.DataFrame(
            {
                "step": list(steps),
                "y": [rate * s for s in steps],
                "z": [temp**2 + rate for _ in steps],
                "flat": [1.0 for _ in steps],
            }
        )
        return sweep_tasks.RunOutput({"model": model}, None, "fake", 0.0)

    monkeypatch.setattr(sweep_tasks, "run_one", fake)


def _indices(table, metric, column):
    part = table.filter(pl.col("metric") == metric)
    return dict(zip(part["parameter"], part[column], strict=True))


@pytest.mark.parametrize(
    ("method", "samples", "column"), [("sobol", 64, "ST"), ("morris", 10, "mu_star")]
)
def test_a_parameter_without_effect_gets_zero(
    write_sweep, serial, tmp_path, monkeypatch, method, samples, column
):
    _synthetic_model(monkeypatch)
    text = SAMPLED.format(months=3, method=method, samples=samples, parameters=SYNTHETIC)
    out = run_sweep(write_sweep(text), serial, out=tmp_path / "out")
    table = analyze(out, ["y", "z", "flat"])
    y = _indices(table, "y", column)
    assert y["alignment.temperature"] == pytest.approx(0.0, abs=1e-9)
    assert y["alignment.rate"] > 0.5
    z = _indices(table, "z", column)
    assert z["alignment.temperature"] > z["alignment.rate"] > 0.0
    assert set(_indices(table, "flat", column).values()) == {0.0}
    if method == "sobol":
        assert (table["ST_conf"] >= 0).all() and (table["S1_conf"] >= 0).all()
        assert _indices(table, "y", "S1")["alignment.rate"] == pytest.approx(1.0, abs=0.1)
    else:
        assert "sigma" in table.columns


def test_window_averages_the_last_months(write_sweep, serial, tmp_path, monkeypatch):
    _synthetic_model(monkeypatch)
    text = SAMPLED.format(months=4, method="sobol", samples=8, parameters=SYNTHETIC)
    out = run_sweep(write_sweep(text), serial, out=tmp_path / "out")
    from multipolar.sweep.sensitivity import point_outputs

    names = ["alignment.rate", "alignment.temperature"]
    x, final = point_outputs(out, names, ["y"], window=1)
    _, mean2 = point_outputs(out, names, ["y"], window=2)
    assert final["y"].to_numpy() == pytest.approx(x[:, 0] * 4)
    assert mean2["y"].to_numpy() == pytest.approx(x[:, 0] * 3.5)


@pytest.mark.slow
def test_capability_share_ignores_alignment_parameters(write_sweep, serial, tmp_path):
    """The real model: capabilities grow from sourced figures and the military weight only."""
    parameters = """
"alignment.rate" = { low = 0.02, high = 0.3 }
"capability.military_weight" = { low = 0.2, high = 0.8 }
"""
    text = SAMPLED.format(months=2, method="sobol", samples=4, parameters=parameters)
    out = run_sweep(write_sweep(text), serial, out=tmp_path / "out")
    metric = next(
        c
        for c in pl.read_parquet(next((out / "model").glob("*.parquet"))).columns
        if c.startswith("capability_share_")
    )
    st = _indices(analyze(out, [metric]), metric, "ST")
    assert st["alignment.rate"] == pytest.approx(0.0, abs=1e-6)
    assert st["capability.military_weight"] > 0.5


def test_sensitivity_command_writes_table_and_chart(
    write_sweep, serial, tmp_path, monkeypatch, capsys
):
    _synthetic_model(monkeypatch)
    text = SAMPLED.format(months=2, method="morris", samples=4, parameters=SYNTHETIC)
    out = run_sweep(write_sweep(text), serial, out=tmp_path / "out")
    assert main(["sensitivity", str(out), "--metric", "y"]) == 0
    printed = capsys.readouterr().out
    assert "mu_star" in printed and "alignment.temperature" in printed
    table = pl.read_csv(out / "sensitivity" / "sensitivity.csv")
    assert table.height == 2
    assert (out / "sensitivity" / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"


def test_sensitivity_refuses_bad_input(write_sweep, serial, tmp_path, monkeypatch, capsys):
    _synthetic_model(monkeypatch)
    grid = run_sweep(write_sweep(), serial, out=tmp_path / "grid")
    with pytest.raises(ScenarioError, match="needs a sobol or morris sweep"):
        analyze(grid)
    text = SAMPLED.format(months=2, method="morris", samples=4, parameters=SYNTHETIC)
    out = run_sweep(write_sweep(text, name="m"), serial, out=tmp_path / "out")
    assert main(["sensitivity", str(out), "--metric", "nope"]) == 2
    assert capsys.readouterr().err.startswith("--metric nope: no such metric in ")
    next((out / "model").glob("*.parquet")).unlink()
    assert main(["sensitivity", str(out), "--metric", "y"]) == 2
    assert "lack a completed run" in capsys.readouterr().err
    assert main(["sensitivity", str(tmp_path)]) == 2
