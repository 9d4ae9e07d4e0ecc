"""Every backend against the NumPy reference on fresh random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.kernels.numpy_ref import NumpyBackend

REFERENCE = NumpyBackend()

SHAPES = [(1, 37), (29, 1), (3, 5), (257, 129)]


def _close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    assert got.dtype == np.float32
    scale = float(np.abs(want).max(initial=0.0)) or 1.0
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6 * scale)


@pytest.mark.parametrize(("height", "width"), SHAPES, ids=[f"{h}x{w}" for h, w in SHAPES])
def test_diffuse_matches_reference(backend, make_problem, height, width):
    for n_channels in (1, 6):
        for n_batch in (None, 3):
            p = make_problem(height, width, n_channels, n_batch)
            for steps in (0, 1, 2, 7):
                got = p.run(backend, steps)
                want = REFERENCE.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps)
                _close(got, want)


def test_diffuse_leaves_input_untouched(backend, make_problem):
    p = make_problem(16, 24, 2, 2)
    before = p.u.copy()
    u = backend.asarray(p.u)
    backend.diffuse(u, backend.asarray(p.c), backend.asarray(p.s), p.D, p.lam, p.dt, 3)
    np.testing.assert_array_equal(backend.to_numpy(u), before)


def test_zero_steps_returns_a_copy(backend, make_problem):
    p = make_problem(5, 7, 2)
    u = backend.asarray(p.u)
    out = backend.diffuse(u, backend.asarray(p.c), backend.asarray(p.s), p.D, p.lam, p.dt, 0)
    np.testing.assert_array_equal(backend.to_numpy(out), p.u)
    out[...] = -1.0
    np.testing.assert_array_equal(backend.to_numpy(u), p.u)


def _direct_zonal(u: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    out = np.zeros((*u.shape[:-2], n_labels))
    for label in range(n_labels):
        mask = labels == label
        out[..., label] = u[..., mask].astype(np.float64).sum(axis=-1)
    return out


@pytest.mark.parametrize("n_batch", [None, 4])
def test_zonal_sum_matches_direct_sum(backend, rng, n_batch):
    height, width, n_channels, n_labels = 47, 31, 6, 9
    shape = (n_channels, height, width) if n_batch is None else (n_batch, n_channels, height, width)
    u = rng.random(shape, dtype=np.float32) * 100
    labels = rng.integers(0, n_labels - 1, (height, width))  # the last label stays empty
    labels[: height // 2, : width // 2] = 2  # a large uniform zone, as in a raster
    got = backend.zonal_sum(backend.asarray(u), backend.asarray(labels), n_labels)
    assert isinstance(got, np.ndarray)
    assert got.shape == (*shape[:-2], n_labels)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, _direct_zonal(u, labels, n_labels), rtol=1e-12)
    assert np.all(got[..., -1] == 0.0)


def test_zonal_sum_many_labels(backend, rng):
    u = rng.random((2, 64, 96), dtype=np.float32)
    labels = rng.integers(0, 7000, (64, 96)).astype(np.int32)
    got = backend.zonal_sum(backend.asarray(u), backend.asarray(labels), 7000)
    np.testing.assert_allclose(got, _direct_zonal(u, labels, 7000), rtol=1e-12)


@pytest.mark.parametrize("bad", [-1, 5])
def test_zonal_sum_rejects_labels_out_of_range(backend, rng, bad):
    u = rng.random((2, 4, 6), dtype=np.float32)
    labels = np.zeros((4, 6), dtype=np.int64)
    labels[1, 2] = bad
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 5\)"):
        backend.zonal_sum(backend.asarray(u), backend.asarray(labels), 5)


@pytest.mark.parametrize("n_batch", [None, 3])
def test_fill_by_label_writes_each_cell_its_labels_value(backend, rng, n_batch):
    height, width, n_channels, n_labels = 41, 67, 6, 25
    lead = (n_channels,) if n_batch is None else (n_batch, n_channels)
    table = rng.random((*lead, n_labels), dtype=np.float32)
    labels = rng.integers(0, n_labels, (height, width)).astype(np.int32)
    labels[5:30, 10:60] = 7  # long runs, as in a raster
    out = backend.asarray(np.full((*lead, height, width), np.nan, np.float32))
    backend.fill_by_label(table, backend.asarray(labels), out)
    np.testing.assert_array_equal(backend.to_numpy(out), table[..., labels])


@pytest.mark.parametrize("bad", [-1, 25])
def test_fill_by_label_rejects_labels_out_of_range(backend, rng, bad):
    table = rng.random((2, 25), dtype=np.float32)
    labels = np.zeros((4, 6), dtype=np.int32)
    labels[3, 5] = bad
    out = backend.asarray(np.zeros((2, 4, 6), np.float32))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 25\)"):
        backend.fill_by_label(table, backend.asarray(labels), out)
