"""Temporal blocking gives bitwise the same fields as plain stepping."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.kernels import _deps, numba_cpu

CASES = [
    # (H, W, K, B, steps, time_block, tile)
    (1, 23, 2, None, 7, 3, (1, 5)),
    (23, 1, 2, None, 7, 3, (4, 1)),
    (3, 5, 1, None, 5, 2, (2, 2)),
    (40, 41, 3, 2, 9, 4, (7, 9)),
    (257, 129, 6, None, 17, 8, (64, 0)),
    (64, 200, 2, 3, 12, 5, (0, 64)),
    (50, 50, 1, None, 8, 16, (16, 16)),  # time_block above steps: one pass
    (33, 17, 2, None, 1, 4, (8, 8)),
    (33, 17, 2, None, 0, 4, (8, 8)),
    (70, 93, 3, 2, 37, 16, (0, 0)),  # the default plan: full rows, passes of 16 and 5
    (61, 150, 2, None, 40, 16, (13, 37)),  # tiles off the SIMD grid, halos across tiles
    (2, 300, 1, None, 20, 8, (1, 0)),  # one-row bands: every band edge is a halo
]


@pytest.mark.parametrize(("height", "width", "k", "b", "steps", "time_block", "tile"), CASES)
def test_blocked_equals_plain_stepping(make_problem, height, width, k, b, steps, time_block, tile):
    p = make_problem(height, width, k, b)
    plain = numba_cpu.NumbaBackend(blocking=False).diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps)
    blocked = numba_cpu.diffuse_blocked(
        p.u, p.c, p.s, p.D, p.lam, p.dt, steps, time_block=time_block, tile=tile
    )
    np.testing.assert_array_equal(blocked, plain)
    assert blocked.shape == p.u.shape
    assert blocked.dtype == np.float32


def test_fields_advanced_in_groups_give_the_same_result(make_problem, monkeypatch):
    p = make_problem(37, 45, 5, 2)
    plain = numba_cpu.NumbaBackend(blocking=False).diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 11)
    monkeypatch.setattr(numba_cpu, "RING_BYTES", 1)  # one field per group
    grouped = numba_cpu.diffuse_blocked(
        p.u, p.c, p.s, p.D, p.lam, p.dt, 11, time_block=4, tile=(10, 20)
    )
    np.testing.assert_array_equal(grouped, plain)


def test_backend_switches_to_blocking_for_long_runs_on_large_grids(make_problem):
    plan = numba_cpu.BlockingPlan(time_block=4, tile=(16, 0), min_steps=4, min_bytes=1 << 16)
    auto = numba_cpu.NumbaBackend(plan=plan)
    p = make_problem(80, 90, 3)
    assert auto.uses_blocking(p.u, 8)
    assert not auto.uses_blocking(p.u, 3)
    assert not auto.uses_blocking(p.u[:, :10, :10], 8)
    assert not numba_cpu.NumbaBackend(blocking=False, plan=plan).uses_blocking(p.u, 8)
    assert numba_cpu.NumbaBackend(blocking=True).uses_blocking(p.u[:, :2, :2], 1)
    plain = numba_cpu.NumbaBackend(blocking=False).diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 10)
    np.testing.assert_array_equal(auto.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 10), plain)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(time_block=0), "time_block must be at least 1, got 0"),
        (dict(tile=(8, -1)), r"tile sides must be positive \(0 for automatic\), got \(8, -1\)"),
    ],
)
def test_blocked_rejects_bad_plans(make_problem, options, message):
    p = make_problem(8, 8, 1)
    with pytest.raises(ValueError, match=message):
        numba_cpu.diffuse_blocked(p.u, p.c, p.s, p.D, p.lam, p.dt, 3, **options)


@pytest.mark.gpu
@pytest.mark.skipif(
    _deps.cuda_device_count() == 0, reason="no CUDA device (cuda_device_count() == 0)"
)
@pytest.mark.parametrize("time_block", [2, 4, 8])
def test_gpu_fused_launches_equal_one_step_launches(make_problem, time_block):
    from multipolar.kernels.cupy_gpu import CupyBackend

    one = CupyBackend(time_block=1)
    fused = CupyBackend(time_block=time_block)
    for height, width, k, b, steps in [(1, 70, 2, None, 9), (45, 70, 3, 2, 11), (100, 37, 6, 5, 8)]:
        p = make_problem(height, width, k, b)
        np.testing.assert_array_equal(p.run(fused, steps), p.run(one, steps))
