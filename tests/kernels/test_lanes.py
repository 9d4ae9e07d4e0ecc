"""The vector row recurrences (sixteen rows in the lanes of a vector) against plain loops."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from multipolar.kernels._lanes import (
    WIDTH,
    backward_scalar,
    backward_tiles,
    forward_scalar,
    forward_tiles,
    transpose_tiles,
)


@numba.njit
def _transpose(rows: np.ndarray, r0: int, n_tiles: int) -> None:
    transpose_tiles(rows, r0, n_tiles)


@numba.njit
def _solve(rows: np.ndarray, r0: int, rb: int, re: int, n_tiles: int) -> None:
    transpose_tiles(rows, rb, n_tiles)
    transpose_tiles(rows, re, n_tiles)
    forward_tiles(rows, r0, rb, n_tiles)
    backward_tiles(rows, r0, re, n_tiles)


def _group(rng: np.random.Generator, width: int, pitch: int) -> tuple[np.ndarray, int, int, int]:
    """Rows of ``a``, ``b`` and ``e`` (zero past ``width``) in a larger array, at odd offsets.

    ``b`` is 0 in the first column and ``e`` in the last, as in the row solves (no face
    beyond the grid's edge).
    """
    rows = np.zeros((3 * WIDTH + 5, pitch), np.float32)
    r0, rb, re = 3, WIDTH + 4, 2 * WIDTH + 5
    rows[r0 : r0 + WIDTH, :width] = rng.normal(size=(WIDTH, width))
    rows[rb : rb + WIDTH, 1:width] = rng.uniform(0.0, 0.9, (WIDTH, width - 1))
    rows[re : re + WIDTH, : width - 1] = rng.uniform(0.0, 0.9, (WIDTH, width - 1))
    return rows, r0, rb, re


@pytest.mark.parametrize("width", [1, 15, 16, 17, 100, 256])
def test_vector_recurrences_are_the_scalar_ones_bit_for_bit(rng, width):
    n_tiles = -(-width // WIDTH)
    rows, r0, rb, re = _group(rng, width, n_tiles * WIDTH + 7)
    want = rows.copy()
    for q in range(WIDTH):
        forward_scalar(want[r0 + q, :width], want[rb + q, :width])
        backward_scalar(want[r0 + q, :width], want[re + q, :width])
    got = rows.copy()
    _solve(got, r0, rb, re, n_tiles)
    np.testing.assert_array_equal(got[r0 : r0 + WIDTH, :width], want[r0 : r0 + WIDTH, :width])
    assert not got[r0 : r0 + WIDTH, width:].any()
    untouched = np.ones(len(rows), bool)
    untouched[[*range(r0, r0 + WIDTH), *range(rb, rb + WIDTH), *range(re, re + WIDTH)]] = False
    np.testing.assert_array_equal(got[untouched], rows[untouched])


def test_scalar_recurrences_solve_the_bidiagonal_systems(rng):
    width = 37
    a = rng.normal(size=width).astype(np.float32)
    b = rng.uniform(0.0, 0.9, width).astype(np.float32)
    e = rng.uniform(0.0, 0.9, width).astype(np.float32)
    b[0] = e[-1] = 0.0
    # (I - diag(b) S) d = a, then (I - diag(e) S^T) x = d, with S the shift down by one.
    lower = np.eye(width) - np.diag(b[1:].astype(np.float64), -1)
    upper = np.eye(width) - np.diag(e[:-1].astype(np.float64), 1)
    want = np.linalg.solve(upper, np.linalg.solve(lower, a.astype(np.float64)))
    got = a.copy()
    forward_scalar(got, b)
    backward_scalar(got, e)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("n_tiles", [1, 3])
def test_tile_transpose_transposes_each_tile_and_twice_is_identity(rng, n_tiles):
    rows = rng.normal(size=(WIDTH + 2, n_tiles * WIDTH + 3)).astype(np.float32)
    got = rows.copy()
    _transpose(got, 1, n_tiles)
    for t in range(n_tiles):
        cols = slice(t * WIDTH, (t + 1) * WIDTH)
        np.testing.assert_array_equal(got[1 : WIDTH + 1, cols], rows[1 : WIDTH + 1, cols].T)
    np.testing.assert_array_equal(got[:, n_tiles * WIDTH :], rows[:, n_tiles * WIDTH :])
    np.testing.assert_array_equal(got[[0, WIDTH + 1]], rows[[0, WIDTH + 1]])
    _transpose(got, 1, n_tiles)
    np.testing.assert_array_equal(got, rows)


_ON_ANOTHER_CPU = """
import numba, numpy as np
from multipolar.kernels._lanes import (
    WIDTH, backward_scalar, backward_tiles, forward_scalar, forward_tiles, transpose_tiles,
)

@numba.njit
def solve(rows, n_tiles):
    transpose_tiles(rows, WIDTH, n_tiles)
    transpose_tiles(rows, 2 * WIDTH, n_tiles)
    forward_tiles(rows, 0, WIDTH, n_tiles)
    backward_tiles(rows, 0, 2 * WIDTH, n_tiles)

rng = np.random.default_rng(7)
width = 40
rows = np.zeros((3 * WIDTH, 48), np.float32)
rows[:WIDTH, :width] = rng.normal(size=(WIDTH, width))
rows[WIDTH : 2 * WIDTH, 1:width] = rng.uniform(0.0, 0.9, (WIDTH, width - 1))
rows[2 * WIDTH :, : width - 1] = rng.uniform(0.0, 0.9, (WIDTH, width - 1))
want = rows.copy()
for q in range(WIDTH):
    forward_scalar(want[q, :width], want[WIDTH + q, :width])
    backward_scalar(want[q, :width], want[2 * WIDTH + q, :width])
solve(rows, 3)
print(np.array_equal(rows[:WIDTH, :width], want[:WIDTH, :width]))
"""


@pytest.mark.parametrize("cpu", ["generic", "haswell"])
def test_vector_and_scalar_recurrences_agree_on_other_cpus(run_for_cpu, cpu):
    # Without FMA instructions ("generic") the scalar code rounds the product and the sum
    # apart; the vector code must then do the same, not call a fused multiply-add.
    assert run_for_cpu(_ON_ANOTHER_CPU, cpu) == "True"


def test_kernels_refuse_other_layouts():
    rows = np.zeros((WIDTH, 2 * WIDTH), np.float64)
    with pytest.raises(numba.core.errors.TypingError, match="C-contiguous 2-D float32"):
        _transpose(rows, 0, 1)
    with pytest.raises(numba.core.errors.TypingError, match="C-contiguous 2-D float32"):
        _solve(np.zeros((3 * WIDTH, 2 * WIDTH), np.float32)[:, ::2], 0, WIDTH, 2 * WIDTH, 1)
