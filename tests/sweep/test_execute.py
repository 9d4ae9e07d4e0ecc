from __future__ import annotations

import json

import polars as pl
import pytest

from multipolar.config import ScenarioError
from multipolar.sweep import load, load_sweep, run_sweep, sweep_summary
from multipolar.sweep import tasks as sweep_tasks
from multipolar.sweep.execute import chunk_size
from multipolar.sweep.plan import build_plan


def _runs(out):
    return pl.read_parquet(out / "runs.parquet")


def _counting(monkeypatch):
    """Record the run ids that actually run (in this process)."""
    ran: list[str] = []
    real = sweep_tasks.run_one

    def counting(context, run):
        ran.append(run.run_id)
        return real(context, run)

    monkeypatch.setattr(sweep_tasks, "run_one", counting)
    return ran


def test_local_sweep_writes_every_run_once(write_sweep, serial, tmp_path):
    sweep = load_sweep(write_sweep(extra='runs_per_task = 3\n[sweep.outputs]\ntables = ["events"]'))
    out = run_sweep(sweep, serial, out=tmp_path / "out")
    plan = build_plan(sweep)
    runs = _runs(out)
    assert runs["status"].to_list() == ["ok"] * 4
    assert sorted(runs["run_id"]) == sorted(plan.run_ids)
    assert runs["task"].n_unique() == 2  # 4 runs in chunks of 3
    model = load(out).collect()
    counts = model.group_by("run_id").len()
    assert sorted(counts["run_id"]) == sorted(plan.run_ids)
    assert set(counts["len"]) == {sweep.settings.months + 1}
    assert {"run_id", "replicate", "seed", "alignment.rate"} <= set(model.columns)
    assert model.schema["alignment.rate"] == pl.Float64
    assert len(list((out / "model").glob("*.parquet"))) == 2
    assert pl.read_parquet(out / "model").height == model.height  # the folder is one dataset
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["sweep"]["parameters"] == {"alignment.rate": [0.05, 0.2]}
    assert manifest["base_scenario"]["geography"]["resolution"] == 1.0
    assert {"polars", "dask", "SALib"} <= set(manifest["versions"])
    assert "git_revision" in manifest and manifest["runs"] == 4
    assert {"run_id", "alignment.rate", "kind", "cause"} <= set(
        load(out, "events").collect_schema().names()
    )
    with pytest.raises(FileNotFoundError):
        load(out, "basins")
    with pytest.raises(ValueError, match="unknown table"):
        load(out, "../model")


def test_parameters_reach_the_model(write_sweep, serial, tmp_path):
    out = run_sweep(write_sweep(months=6), serial, out=tmp_path / "out")
    final = load(out).filter(pl.col("step") == 6).sort("alignment.rate", "replicate").collect()
    metrics = [c for c in final.columns if c.startswith("ca_share_")]
    assert metrics
    low, high = final.filter(pl.col("replicate") == 0).select(metrics).rows()
    assert low != high


def test_an_existing_sweep_folder_needs_resume(write_sweep, serial, tmp_path):
    path = write_sweep()
    run_sweep(path, serial, out=tmp_path / "out")
    with pytest.raises(ScenarioError, match="pass --resume"):
        run_sweep(path, serial, out=tmp_path / "out")
    (tmp_path / "file").write_text("")
    with pytest.raises(ScenarioError, match="not a folder"):
        run_sweep(path, serial, out=tmp_path / "file")
    other = write_sweep(months=1, name="other")
    with pytest.raises(ScenarioError, match="different sweep"):
        run_sweep(other, serial, out=tmp_path / "out", resume=True)


def test_resume_after_deleting_result_files_runs_only_those(
    write_sweep, serial, tmp_path, monkeypatch
):
    path = write_sweep(extra="runs_per_task = 1")
    out = run_sweep(path, serial, out=tmp_path / "out")
    before = load(out).sort("run_id", "step").collect()
    victims = sorted((out / "model").glob("part-*.parquet"))[:2]
    lost = set(pl.concat([pl.read_parquet(p) for p in victims])["run_id"])
    for victim in victims:
        victim.unlink()
    ran = _counting(monkeypatch)
    summary = sweep_summary(path, serial, out=out, resume=True)
    assert set(ran) == lost and len(ran) == 2
    assert (summary.ran, summary.already_done, summary.failed) == (2, 2, 0)
    after = load(out).sort("run_id", "step").collect()
    assert after.equals(before)
    ran.clear()
    assert sweep_summary(path, serial, out=out, resume=True).ran == 0
    assert ran == []


def test_resume_after_an_interrupted_driver(write_sweep, serial, tmp_path, monkeypatch):
    path = write_sweep(extra="runs_per_task = 1")
    real = sweep_tasks.run_one
    started: list[str] = []

    def interrupted(context, run):
        started.append(run.run_id)
        if len(started) == 3:
            raise KeyboardInterrupt
        return real(context, run)

    monkeypatch.setattr(sweep_tasks, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(path, serial, out=tmp_path / "out")
    completed = set(started[:2])
    index = _runs(tmp_path / "out")
    assert set(index.filter(pl.col("status") == "ok")["run_id"]) <= completed
    assert index.filter(pl.col("status") == "pending").height >= 2
    ran = _counting(monkeypatch)
    summary = sweep_summary(path, serial, out=tmp_path / "out", resume=True)
    assert set(ran) == set(index["run_id"]) - completed and len(ran) == 2
    assert summary.ran == 2 and summary.failed == 0
    assert load(tmp_path / "out").collect().group_by("run_id").len()["len"].to_list() == [3] * 4


def test_a_run_that_raises_is_recorded_and_the_others_complete(
    write_sweep, serial, tmp_path, monkeypatch
):
    real = sweep_tasks.run_one

    def fragile(context, run):
        if run.values()["alignment.rate"] == 0.2:
            raise FloatingPointError("diffusion unstable\nat month 2")
        return real(context, run)

    monkeypatch.setattr(sweep_tasks, "run_one", fragile)
    summary = sweep_summary(write_sweep(), serial, out=tmp_path / "out")
    assert summary.failed == 2
    runs = _runs(tmp_path / "out").sort("alignment.rate")
    assert runs["status"].to_list() == ["ok", "ok", "failed", "failed"]
    assert runs["error"].to_list()[2:] == ["FloatingPointError: diffusion unstable at month 2"] * 2
    assert set(load(tmp_path / "out").collect()["alignment.rate"]) == {0.05}
    assert "2 failed" in summary.line()


def test_a_run_going_non_finite_fails_at_that_month(write_sweep, serial, tmp_path, monkeypatch):
    from multipolar.model import MultipolarModel

    real_step = MultipolarModel.step

    def poisoned(model):
        real_step(model)
        if model.steps == 2:  # as if a metric recorded this month were NaN
            name, series = next(iter(model.datacollector.model_vars.items()))
            series[-1] = float("nan")

    monkeypatch.setattr(MultipolarModel, "step", poisoned)
    summary = sweep_summary(write_sweep(months=3), serial, out=tmp_path / "out")
    assert summary.failed == 4
    errors = _runs(tmp_path / "out")["error"].to_list()
    assert all(e.startswith("NonFiniteError: non-finite value in 2023-03 (step 2)") for e in errors)


def test_metric_patterns_select_model_columns(write_sweep, serial, tmp_path):
    extra = '[sweep.outputs]\nmetrics = ["ca_share_*"]'
    out = run_sweep(write_sweep(extra=extra), serial, out=tmp_path / "out")
    columns = load(out).collect_schema().names()
    metrics = [c for c in columns if c not in ("run_id", "replicate", "seed", "alignment.rate")]
    assert metrics[:2] == ["step", "date"]
    assert metrics[2:] and all(c.startswith("ca_share_") for c in metrics[2:])


def test_a_pattern_matching_nothing_fails_runs_with_its_name(write_sweep, serial, tmp_path):
    extra = '[sweep.outputs]\nmetrics = ["no_such_metric*"]'
    summary = sweep_summary(write_sweep(extra=extra), serial, out=tmp_path / "out")
    assert summary.failed == 4
    assert "'no_such_metric*' matches no model column" in _runs(tmp_path / "out")["error"][0]


def test_final_fields_are_kept_on_request(write_sweep, serial, tmp_path):
    import numpy as np

    out = run_sweep(write_sweep(extra="[sweep.outputs]\nfields = true"), serial, out=tmp_path / "o")
    kept = {}
    for part in (out / "fields").glob("part-*.npz"):
        with np.load(part) as stored:
            kept.update({k: stored[k] for k in stored.files})
    assert sorted(kept) == sorted(_runs(out)["run_id"])
    assert all(np.isfinite(a).all() and a.ndim == 3 for a in kept.values())


@pytest.mark.parametrize(
    ("pending", "workers", "mean_run_s", "expected"),
    [
        (50, 2, None, 1),  # nothing measured yet: one run, to measure
        (200, 1, 0.1, 40),  # 4 s tasks
        (200, 2, 0.1, 25),  # but four tasks per worker
        (10**6, 2, 0.001, 100),  # never more than 100 runs
        (10, 2, 30.0, 1),  # long runs: one per task
        (0, 4, 1.0, 1),
    ],
)
def test_tasks_last_seconds_and_spread_over_workers(pending, workers, mean_run_s, expected):
    assert chunk_size(pending, workers, mean_run_s) == expected


def test_tasks_of_a_superseded_driver_write_nothing(write_sweep, serial, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = sweep_tasks.run_one

    def taken_over(context, run):
        output = real(context, run)
        (out / ".attempt").write_text("a newer driver")
        return output

    monkeypatch.setattr(sweep_tasks, "run_one", taken_over)
    summary = sweep_summary(write_sweep(extra="runs_per_task = 4"), serial, out=out)
    assert summary.failed == 4
    assert all("SupersededError" in e for e in _runs(out)["error"])
    assert not list((out / "model").glob("*")) and not list((out / "records").glob("*"))


@pytest.mark.slow
def test_a_process_pool_is_an_executor_too(write_sweep, serial, tmp_path):
    import concurrent.futures as cf
    import multiprocessing as mp

    path = write_sweep(months=1)
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        out = run_sweep(path, pool, out=tmp_path / "pool")
    local = run_sweep(path, serial, out=tmp_path / "local")
    assert (
        load(out)
        .sort("run_id", "step")
        .collect()
        .equals(load(local).sort("run_id", "step").collect())
    )
    assert set(_runs(out)["worker"]) != set(_runs(local)["worker"])


@pytest.mark.parametrize("tables", [("model",), ("model", "events"), ("model", "states", "basins")])
def test_a_run_keeps_exactly_the_tables_asked_for_as_a_plain_run_makes_them(tables):
    from polars.testing import assert_frame_equal

    from multipolar.config import load_scenario
    from multipolar.io import model_tables
    from multipolar.model import MultipolarModel
    from multipolar.sweep.plan import PlannedRun
    from multipolar.sweep.tasks import RunContext, run_one

    base = load_scenario("central_asia_2023.toml", ["geography.resolution=1.0"])
    context = RunContext(base, 2, "numba", tables, (), False, ())
    output = run_one(context, PlannedRun("r", 3, 0, ()))
    model = MultipolarModel(base, "numba", rng=3)
    for _ in range(2):
        model.step()
    plain = model_tables(model)
    assert tuple(output.tables) == tables
    for name in tables:
        assert_frame_equal(output.tables[name], plain[name], check_exact=True)
