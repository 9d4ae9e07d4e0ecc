"""Cache-line-aligned host buffers, and when the Numba backend streams its stores."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.kernels.memory import aligned_array, aligned_empty, aligned_zeros, is_aligned
from multipolar.kernels.numba_cpu import NumbaBackend, streams
from multipolar.kernels.numpy_ref import NumpyBackend


@pytest.mark.parametrize("shape", [(1,), (3, 5), (6, 37, 41), (2, 3, 16, 64)])
def test_buffers_start_on_a_line_and_have_the_shape(shape):
    for _ in range(5):  # several allocations: NumPy's own alignment varies
        empty, zeros = aligned_empty(shape), aligned_zeros(shape)
        for a in (empty, zeros):
            assert a.shape == shape and a.dtype == np.float32 and a.flags.c_contiguous
            assert a.ctypes.data % 64 == 0
        assert not zeros.any()


def test_aligned_array_copies_any_layout_to_float32_on_a_line():
    rng = np.random.default_rng(7)
    values = rng.random((33, 20))  # float64, and read through a transposed view below
    for source in (values, values.T, values[::2, 1:]):
        copy = aligned_array(source)
        assert copy.dtype == np.float32 and copy.flags.c_contiguous and is_aligned(copy)
        np.testing.assert_array_equal(copy, source.astype(np.float32))
        assert not np.shares_memory(copy, source)


def test_streams_only_into_aligned_buffers_of_whole_line_rows():
    aligned = aligned_zeros((2, 4, 64))
    shifted = aligned_zeros((2 * 4 * 64 + 4,))[4:].reshape(2, 4, 64)
    assert is_aligned(aligned) and not is_aligned(shifted)
    assert streams((aligned, aligned_zeros((2, 4, 64))), 64)
    assert not streams((aligned, shifted), 64)
    assert not streams((aligned_zeros((2, 4, 40)),), 40)


@pytest.mark.parametrize("width", [48, 37])
def test_explicit_results_do_not_depend_on_the_outputs_alignment(make_problem, width):
    # Aligned outputs of whole-line rows take the streaming stores, the others the cached
    # ones; both are the reference's bytes.
    p = make_problem(21, width, 3)
    want = NumpyBackend().diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 3)
    shifted = aligned_zeros((p.u.size + 4,))[4:].reshape(p.u.shape)
    backend = NumbaBackend(blocking=False)
    for out in (aligned_zeros(p.u.shape), shifted, None):
        got = backend.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 3, out=out)
        np.testing.assert_array_equal(got, want)
