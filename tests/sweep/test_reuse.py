from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from multipolar.config import load_scenario
from multipolar.kernels import get_backend
from multipolar.model import MultipolarModel
from multipolar.sweep import reuse
from multipolar.sweep.plan import PlannedRun
from multipolar.sweep.tasks import RunContext, run_one

BASE = ("central_asia_2023.toml", ["geography.resolution=1.0"])
MONTHS = 3
# diffusion.security.decay changes what the construction computes (the spun-up fields and
# the reference density); alignment.rate acts only in the steps
PARAMETERS = {"diffusion.security.decay": (0.2, 0.4), "alignment.rate": (0.05, 0.3)}
# two scenarios A and B; each is built twice, then copied; A again after B
ORDER = [("A", 1), ("A", 2), ("A", 3), ("B", 1), ("B", 2), ("B", 3), ("A", 4)]

FRESH = textwrap.dedent(
    """
    import json, sys
    from multipolar.config import load_scenario, override
    from multipolar.io import model_tables
    from multipolar.model import MultipolarModel

    base, sets, months, runs, out = json.loads(sys.argv[1])
    base = load_scenario(base, sets)
    for i, (params, seed) in enumerate(runs):
        model = MultipolarModel(scenario=override(base, params), backend="numba", rng=seed)
        for _ in range(months):
            model.step()
        tables = model_tables(model)
        for name in ("model", "states"):
            tables[name].write_parquet(f"{out}/{i}-{name}.parquet")
    """
)


def _runs(key: str) -> list[PlannedRun]:
    values = dict(zip("AB", PARAMETERS[key], strict=True))
    return [
        PlannedRun(f"{point}{seed}", seed, seed, ((key, values[point]),)) for point, seed in ORDER
    ]


@pytest.fixture(scope="module")
def fresh_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """Every run of both cases, each built with MultipolarModel(...) in a new process."""
    out = tmp_path_factory.mktemp("fresh")
    runs = [(r.values(), r.seed) for key in PARAMETERS for r in _runs(key)]
    argument = json.dumps([BASE[0], BASE[1], MONTHS, runs, str(out)])
    subprocess.run([sys.executable, "-c", FRESH, argument], check=True, timeout=600)
    tables = [
        {name: pl.read_parquet(out / f"{i}-{name}.parquet") for name in ("model", "states")}
        for i in range(len(runs))
    ]
    return {key: tables[k * len(ORDER) : (k + 1) * len(ORDER)] for k, key in enumerate(PARAMETERS)}


@pytest.mark.slow
@pytest.mark.parametrize("key", PARAMETERS)
def test_copied_models_run_as_models_built_in_a_fresh_process(key, fresh_tables):
    context = RunContext(
        base=load_scenario(*BASE),
        months=MONTHS,
        backend="numba",
        tables=("model", "states"),
        metrics=(),
        fields=False,
        param_dtypes=((key, "Float64"),),
    )
    outputs = [run_one(context, run) for run in _runs(key)]
    assert reuse.stats().copied == 3  # A3, B3 and A4 came from kept models
    for output, fresh in zip(outputs, fresh_tables[key], strict=True):
        for name in ("model", "states"):
            assert_frame_equal(output.tables[name], fresh[name], check_exact=True)
    a, b = outputs[0].tables["model"], outputs[3].tables["model"]
    start_a, start_b = a.filter(pl.col("step") == 0), b.filter(pl.col("step") == 0)
    if key == "diffusion.security.decay":  # the kept quantity differs between A and B
        assert not start_a.equals(start_b)
    else:  # the same construction, different runs
        assert start_a.equals(start_b) and not a.equals(b)


def test_a_run_of_a_seen_scenario_is_a_copy_with_its_own_seed():
    base, backend = load_scenario(*BASE), get_backend("numba")
    params = (("alignment.rate", 0.3),)
    models = [reuse.new_model(base, params, seed, backend) for seed in (7, 8, 9, 9)]
    assert reuse.stats() == reuse.CacheStats(built=2, copied=2, kept=1)
    assert models[2] is not models[3] and models[2].field.u is not models[3].field.u
    assert models[2].geography is models[1].geography  # rasters are shared, as before
    draws = [m.rng.standard_normal(3) for m in models]
    assert not np.array_equal(draws[1], draws[2])
    assert np.array_equal(draws[2], draws[3])
    assert np.array_equal(draws[2], np.random.default_rng(9).standard_normal(3))
    assert models[3].random.random() == MultipolarModel(base, backend, rng=9).random.random()


def test_a_construction_that_draws_random_numbers_is_never_copied(monkeypatch):
    real = MultipolarModel._settle_alignments

    def drawing(model):
        model.rng.random()
        real(model)

    monkeypatch.setattr(MultipolarModel, "_settle_alignments", drawing)
    base, backend = load_scenario(*BASE), get_backend("numba")
    for seed in (1, 2, 3):
        reuse.new_model(base, (("alignment.rate", 0.3),), seed, backend)
    assert reuse.stats() == reuse.CacheStats(built=3, copied=0, kept=0)


def test_a_model_that_cannot_be_pickled_is_built_every_run(monkeypatch):
    import threading

    real = MultipolarModel._settle_alignments

    def unpicklable(model):
        model.lock = threading.Lock()
        real(model)

    monkeypatch.setattr(MultipolarModel, "_settle_alignments", unpicklable)
    base, backend = load_scenario(*BASE), get_backend("numba")
    models = [reuse.new_model(base, (("alignment.rate", 0.3),), s, backend) for s in (1, 2, 3)]
    assert reuse.stats() == reuse.CacheStats(built=3, copied=0, kept=0)
    assert all(m.steps == 0 for m in models)


def test_kept_models_are_bounded(monkeypatch):
    monkeypatch.setattr(reuse, "MAX_MODELS", 2)
    base, backend = load_scenario(*BASE), get_backend("numba")
    rates = (0.1, 0.2, 0.3)
    for rate in rates:
        for seed in (1, 2):
            reuse.new_model(base, (("alignment.rate", rate),), seed, backend)
    assert reuse.stats().kept == 3
    reuse.new_model(base, (("alignment.rate", rates[0]),), 3, backend)  # the oldest: dropped
    reuse.new_model(base, (("alignment.rate", rates[2]),), 3, backend)
    assert reuse.stats().copied == 1 and reuse.stats().built == 7
    monkeypatch.setattr(reuse, "MAX_BYTES", 1000)  # larger than a quarter of this: not kept
    for seed in (1, 2, 3):
        reuse.new_model(base, (("alignment.rate", 0.4),), seed, backend)
    assert reuse.stats().copied == 1 and reuse.stats().built == 10


def test_an_invalid_parameter_value_is_an_error_every_time():
    from multipolar.config import ScenarioError

    base, backend = load_scenario(*BASE), get_backend("numba")
    for seed in (1, 2, 3):
        with pytest.raises(ScenarioError, match="alignment.rate"):
            reuse.new_model(base, (("alignment.rate", 7.0),), seed, backend)


def test_a_sweep_does_not_depend_on_what_its_worker_ran_before(write_sweep, serial, tmp_path):
    from multipolar.sweep import load, run_sweep

    path = write_sweep(months=2)
    first = run_sweep(path, serial, out=tmp_path / "first")
    assert reuse.stats().copied == 0  # two replicates: each scenario built twice, kept
    second = run_sweep(path, serial, out=tmp_path / "second")
    assert reuse.stats().copied == 4
    a, b = (load(out).collect().sort("run_id", "step") for out in (first, second))
    assert a.height == 4 * 3
    assert_frame_equal(a, b, check_exact=True)


def test_workers_running_tasks_in_threads_share_the_kept_models_safely():
    import concurrent.futures as cf

    from multipolar.config import override
    from multipolar.io import model_tables

    base, backend = load_scenario(*BASE), get_backend("numba")
    jobs = [((("alignment.rate", rate),), seed) for rate in (0.1, 0.3) for seed in range(1, 7)]

    def states(model: MultipolarModel) -> pl.DataFrame:
        model.step()
        return model_tables(model)["states"]

    with cf.ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda job: states(reuse.new_model(base, *job, backend)), jobs))
    assert reuse.stats().copied >= 1
    for (params, seed), table in zip(jobs, threaded, strict=True):
        fresh = MultipolarModel(override(base, dict(params)), backend, rng=seed)
        assert_frame_equal(table, states(fresh), check_exact=True)
