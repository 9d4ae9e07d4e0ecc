from __future__ import annotations

import numpy as np

from multipolar.sweep.plan import build_plan, replicate_seed, run_id
from multipolar.sweep.spec import load_sweep

SAMPLED = """
[sweep]
name = "sampled"
scenario = "central_asia_2023.toml"
months = 1
seed = 5
replicates = {replicates}
[sweep.sampler]
method = "{method}"
samples = {samples}
[sweep.parameters]
"alignment.rate" = {{ low = 0.01, high = 0.3 }}
"alignment.temperature" = {{ low = 0.2, high = 2.0 }}
"capability.military_weight" = {{ low = 0.2, high = 0.8 }}
"""


def _sampled(write_sweep, method, samples, replicates=1):
    text = SAMPLED.format(method=method, samples=samples, replicates=replicates)
    return load_sweep(write_sweep(text, name=method))


def test_grid_is_every_value_times_every_replicate(write_sweep):
    plan = build_plan(load_sweep(write_sweep()))
    assert len(plan.runs) == 2 * 2
    assert plan.points.height == 4
    assert sorted({r.values()["alignment.rate"] for r in plan.runs}) == [0.05, 0.2]
    assert len(set(plan.run_ids)) == 4


def test_seeds_depend_on_replicate_only_and_on_the_sweep_seed():
    assert replicate_seed(11, 0) == replicate_seed(11, 0)
    assert replicate_seed(11, 0) != replicate_seed(11, 1)
    assert replicate_seed(11, 0) != replicate_seed(12, 0)
    assert 0 <= replicate_seed(11, 3) < 2**63


def test_points_share_seeds_across_parameters(write_sweep):
    plan = build_plan(load_sweep(write_sweep()))
    by_replicate = {}
    for run in plan.runs:
        by_replicate.setdefault(run.replicate, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_replicate.values())


def test_run_ids_are_stable_digests_of_parameters_and_seed():
    assert run_id({"a": 0.1}, 3) == run_id({"a": 0.1}, 3)
    assert run_id({"a": 0.1}, 3) != run_id({"a": 0.1}, 4)
    assert run_id({"a": 0.1}, 3) != run_id({"a": 0.2}, 3)


def test_plans_are_reproducible(write_sweep):
    first = build_plan(_sampled(write_sweep, "lhs", 10, replicates=2))
    again = build_plan(_sampled(write_sweep, "lhs", 10, replicates=2))
    assert first.run_ids == again.run_ids
    assert len(first.runs) == 20


def test_sobol_sample_count_and_bounds(write_sweep):
    sweep = _sampled(write_sweep, "sobol", 8)
    plan = build_plan(sweep)
    assert plan.points["point"].n_unique() == 8 * (3 + 2)
    rates = np.array([r.values()["alignment.rate"] for r in plan.runs])
    assert rates.min() >= 0.01 and rates.max() <= 0.3


def test_morris_points_that_coincide_share_one_run(write_sweep):
    plan = build_plan(_sampled(write_sweep, "morris", 6))
    assert plan.points.height == 6 * (3 + 1)
    assert len(plan.runs) == plan.points["run_id"].n_unique() <= plan.points.height
