"""Numba specifics: kernels compiled for float32 only, and cached."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from multipolar.kernels import _blocking, _labels, _numba_kernels, numba_cpu


def test_stepping_kernels_are_called_with_float32_scalars(make_problem):
    # A Python float for dt would compile a float64 signature (and float64 arithmetic).
    p = make_problem(20, 30, 2, 2)
    numba_cpu.NumbaBackend(blocking=False).diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 2)
    numba_cpu.diffuse_blocked(p.u, p.c, p.s, p.D, p.lam, p.dt, 3, time_block=2, tile=(8, 8))
    for kernel in (_numba_kernels.diffuse_one_pass, _blocking.diffuse_tiled):
        assert kernel.signatures, kernel
        for signature in kernel.signatures:
            assert "float64" not in str(signature), (kernel, signature)


def _host_has_avx2() -> bool:
    from llvmlite import binding

    return bool(binding.get_host_cpu_features().get("avx2"))


def _compile_uncached(module, name):
    """Recompile a kernel's Python source uncached, with float32 arguments, to read its IR."""
    kernel = numba.njit(getattr(module, name).py_func)
    row = np.zeros(16, np.float32)
    f32 = np.float32(0.5)
    u64 = np.uint64
    if name == "update_row":
        kernel(row, row, row, row, row, row, row, row, f32, f32, f32)
    elif name == "face_rows":
        kernel(np.ones((3, 16), np.float32), 0, 3, np.zeros((7, 16), np.float32))
    elif name == "_update":
        sc = np.zeros((8, 32), np.float32)
        kernel(sc, (7, u64(8)), sc, (0, 1, 2, 3, 4, 5, 6), u64(8), u64(8), f32, f32, f32)
    else:
        kernel(
            np.ones((3, 16), np.float32),
            1,
            u64(2),
            np.zeros((2, 32), np.float32),
            0,
            u64(8),
            u64(8),
        )
    return kernel


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (_numba_kernels, "update_row"),
        (_numba_kernels, "face_rows"),
        (_blocking, "_update"),
        (_blocking, "_faces"),
    ],
)
def test_cell_arithmetic_is_float32_without_fastmath(module, name):
    ir = "\n".join(_compile_uncached(module, name).inspect_llvm().values())
    assert "fmul float" in ir or "fmul <" in ir
    for op in ("fadd", "fsub", "fmul"):
        assert f"{op} double" not in ir
        assert f"{op} fast" not in ir and f"{op} contract" not in ir


@pytest.mark.skipif(
    not _host_has_avx2(), reason="host CPU without AVX2 (llvmlite host CPU features)"
)
def test_blocked_cell_update_is_vectorised_with_avx2():
    asm = "\n".join(_compile_uncached(_blocking, "_update").inspect_asm().values())
    assert "ymm" in asm and "vmulps" in asm, "the blocked update loop is not vectorised"


def test_kernels_are_cached_on_disk():
    for kernel in (
        _numba_kernels.diffuse_one_pass,
        _labels.zonal_sum_partials,
        _blocking.diffuse_tiled,
    ):
        assert kernel._cache.__class__.__name__ == "FunctionCache", kernel


def test_zonal_sum_accepts_int32_labels_and_batches(rng):
    u = rng.random((3, 2, 9, 11), dtype=np.float32)
    labels = rng.integers(0, 4, (9, 11)).astype(np.int32)
    got = numba_cpu.NumbaBackend().zonal_sum(u, labels, 4)
    want = np.stack(
        [
            [[u[b, k][labels == z].sum(dtype=np.float64) for z in range(4)] for k in range(2)]
            for b in range(3)
        ]
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("blocking", [False, True])
def test_results_of_earlier_calls_are_never_reused(make_problem, blocking):
    # The backend keeps a spare buffer between calls; a returned field must stay intact.
    backend = numba_cpu.NumbaBackend(blocking=blocking)
    p = make_problem(31, 40, 3)
    results = [backend.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps) for steps in (1, 2, 3, 4, 5)]
    copies = [r.copy() for r in results]
    for steps in (2, 1, 4, 3):
        again = backend.diffuse(results[0], p.c, p.s, p.D, p.lam, p.dt, steps)
        assert all(again is not r for r in results)
    for r, kept in zip(results, copies, strict=True):
        np.testing.assert_array_equal(r, kept)
    assert len({id(r) for r in results}) == len(results)


def test_zonal_sum_is_the_same_on_one_thread_or_several(rng, monkeypatch):
    # Small inputs are summed on one thread (ZONAL_SERIAL_BELOW); the chunks, and so the
    # bytes, are the same either way. Labels in runs, as countries along a row.
    u = rng.random((2, 3, 150, 170), dtype=np.float32)
    labels = (np.arange(150 * 170).reshape(150, 170) // 37 % 11).astype(np.int32)
    serial = numba_cpu.NumbaBackend().zonal_sum(u, labels, 11)
    monkeypatch.setattr(numba_cpu, "ZONAL_SERIAL_BELOW", 0)
    parallel = numba_cpu.NumbaBackend().zonal_sum(u, labels, 11)
    np.testing.assert_array_equal(parallel, serial)
    want = np.stack(
        [[[u[b, k][labels == z].sum(dtype=np.float64) for z in range(11)] for k in range(3)]
         for b in range(2)]
    )  # fmt: skip
    np.testing.assert_allclose(serial, want, rtol=1e-12)


@pytest.mark.parametrize("height", [1, 7, 16, 17, 45])
@pytest.mark.parametrize(
    ("width", "n_channels", "n_batch"),
    [(23, 3, 2), (23, 3, None), (2, 1, None), (1, 2, 2)],
    ids=["6 fields", "3 fields", "1 field, 2 wide", "4 fields, 1 wide"],
)
def test_one_pass_tasks_give_the_references_bytes_for_any_split(
    make_problem, height, width, n_channels, n_batch
):
    # The rows are dealt out as tasks to whichever worker asks next: however many workers
    # and rows per task (blocks cut short by a task's end included), every row is updated
    # exactly once, as the NumPy reference does it. Rows one or two cells wide have only
    # edge cells.
    from multipolar.kernels.numpy_ref import NumpyBackend

    p = make_problem(height, width, n_channels, n_batch)
    want = NumpyBackend().diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 3)
    flat_u, flat_s, d, k = numba_cpu._flatten(p.u, p.s, p.D, p.lam, n_channels)
    for workers, task_rows in [(1, 16), (2, 16), (5, 3), (3, 13), (8, 1)]:
        scratch = numba_cpu.one_pass_scratch(workers, width)
        buffers = (np.full_like(flat_u, np.nan), np.full_like(flat_u, np.nan))
        counter = np.zeros(1, dtype=np.int64)
        got = _numba_kernels.diffuse_one_pass(
            flat_u, p.c, flat_s, d, k, np.float32(p.dt), 3, *buffers, scratch, counter, task_rows,
            False,
        )  # fmt: skip
        np.testing.assert_array_equal(got.reshape(want.shape), want, err_msg=f"{workers=}")
        assert counter[0] == -(-height // task_rows) + workers  # each task once, one miss each
