"""The vector explicit update (one or two rows per pass) against the scalar row update."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from multipolar.kernels._numba_kernels import face_rows, update_row
from multipolar.kernels._stencil import MIN_WIDTH, update_pair, update_single
from multipolar.kernels.memory import aligned_zeros

_D, _LAM, _DT = np.float32(0.21), np.float32(0.013), np.float32(0.9)


@numba.njit
def _vector(dst, src, s, faces, first, n_rows, streaming):
    height = src.shape[0]
    north, south = max(first - 1, 0), min(first + n_rows, height - 1)
    if n_rows == 2:
        update_pair(dst, src, s, faces, first, north, south, 0, _D, _LAM, _DT, streaming)
    else:
        update_single(dst, src, s, faces, first, north, south, 0, _D, _LAM, _DT, streaming)


def _scalar(dst, src, s, faces, first, n_rows):
    height = src.shape[0]
    for k in range(n_rows):
        i = first + k
        update_row(
            dst[i], src[i], src[max(i - 1, 0)], src[min(i + 1, height - 1)], s[i],
            faces[2 * k + 1], faces[2 * k + 2], faces[2 * k], _D, _LAM, _DT,
        )  # fmt: skip


def _fields(rng, height, width):
    src = rng.random((height, width), dtype=np.float32)
    s = rng.random((height, width), dtype=np.float32)
    c = rng.uniform(0.02, 1.0, (height, width)).astype(np.float32)
    return src, s, c


@pytest.mark.parametrize("width", [17, 31, 32, 33, 47, 48, 49, 100, 2048])
@pytest.mark.parametrize("n_rows", [1, 2])
@pytest.mark.parametrize("first", ["top", "middle", "bottom"])
def test_vector_rows_are_the_scalar_rows_bit_for_bit(rng, width, n_rows, first):
    # Every cell of the rows, edges included: the register-shifted neighbours, the vector
    # between the loop and the last one, the last vector overlapping it; and no cell of
    # any other row written (NaN stays NaN).
    height = 5
    i = {"top": 0, "middle": 1, "bottom": height - n_rows}[first]
    src, s, c = _fields(rng, height, width)
    faces = np.zeros((2 * n_rows + 1, width), np.float32)
    face_rows(c, i, i + n_rows, faces)
    want = np.full_like(src, np.nan)
    _scalar(want, src, s, faces, i, n_rows)
    streaming = width % 16 == 0
    got = aligned_zeros(src.shape)
    got.fill(np.nan)
    _vector(got, src, s, faces, i, n_rows, streaming)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[:i]).all() and np.isnan(got[i + n_rows :]).all()
    assert np.isfinite(got[i : i + n_rows]).all()


@pytest.mark.parametrize("width", [32, 64, 2048])
def test_streaming_stores_write_the_same_bytes(rng, width):
    src, s, c = _fields(rng, 4, width)
    faces = np.zeros((5, width), np.float32)
    face_rows(c, 1, 3, faces)
    cached, streamed = aligned_zeros(src.shape), aligned_zeros(src.shape)
    _vector(cached, src, s, faces, 1, 2, False)
    _vector(streamed, src, s, faces, 1, 2, True)
    assert np.array_equal(cached.view(np.int32), streamed.view(np.int32))


def test_face_rows_wider_than_the_grid_leave_their_extra_columns_alone(rng):
    # A worker's face scratch may be wider than the grid; the vector code then steps over
    # its rows by the scratch's own pitch and never reads the extra columns (NaN here).
    height, width = 5, 40
    src, s, c = _fields(rng, height, width)
    narrow = np.zeros((5, width), np.float32)
    wide = np.full((5, width + 24), np.nan, np.float32)
    face_rows(c, 1, 3, narrow)
    face_rows(c, 1, 3, wide)
    np.testing.assert_array_equal(wide[:, :width], narrow)
    assert np.isnan(wide[1:, width:]).all()
    want, got = np.zeros_like(src), np.zeros_like(src)
    _vector(want, src, s, narrow, 1, 2, False)
    _vector(got, src, s, wide, 1, 2, False)
    np.testing.assert_array_equal(got, want)
    assert np.isfinite(got[1:3]).all()


def test_face_rows_are_the_means_of_neighbouring_cells_and_zero_past_the_edge(rng):
    height, width = 7, 9
    c = rng.uniform(0.02, 1.0, (height, width)).astype(np.float32)
    half = np.float32(0.5)
    for i0, i1 in [(0, 3), (2, 5), (4, 7), (6, 7)]:
        faces = np.full((2 * (i1 - i0) + 1, width), np.nan, np.float32)
        face_rows(c, i0, i1, faces)
        for r, i in enumerate(range(i0, i1)):
            north = (c[i] + c[i - 1]) * half if i > 0 else np.zeros(width, np.float32)
            south = (c[i] + c[i + 1]) * half if i + 1 < height else np.zeros(width, np.float32)
            east = np.append((c[i, :-1] + c[i, 1:]) * half, np.float32(0))
            np.testing.assert_array_equal(faces[2 * r], north)
            np.testing.assert_array_equal(faces[2 * r + 1], east)
            np.testing.assert_array_equal(faces[2 * r + 2], south)


def test_vector_code_loads_shuffles_and_streams_in_float32_without_fastmath():
    # Bitwise agreement with the reference needs plain IEEE float32 operations: no fast
    # or contract flag (which would allow reassociation or fused multiply-adds).
    src = np.zeros((3, 64), np.float32)
    _vector(src.copy(), src, src, np.zeros((5, 64), np.float32), 0, 2, False)
    ir = "\n".join(_vector.inspect_llvm().values())
    assert "fmul <16 x float>" in ir and "shufflevector <16 x float>" in ir
    assert "!nontemporal" in ir
    for op in ("fadd", "fsub", "fmul"):
        assert f"{op} <16 x double>" not in ir
        assert f"{op} fast" not in ir and f"{op} contract" not in ir


_ON_ANOTHER_CPU = """
import numpy as np
from multipolar.kernels.memory import aligned_zeros
from multipolar.kernels.numba_cpu import NumbaBackend
from multipolar.kernels.numpy_ref import NumpyBackend

rng = np.random.default_rng(11)
ok = True
for height, width in [(9, 48), (6, 37)]:
    u = rng.random((2, height, width), dtype=np.float32)
    s = rng.random((2, height, width), dtype=np.float32)
    c = rng.uniform(0.02, 1.0, (height, width)).astype(np.float32)
    D, lam = np.float32([0.2, 0.1]), np.float32([0.01, 0.0])
    want = NumpyBackend().diffuse(u, c, s, D, lam, 0.9, 3)
    got = NumbaBackend(blocking=False).diffuse(u, c, s, D, lam, 0.9, 3, out=aligned_zeros(u.shape))
    ok = ok and np.array_equal(got, want)
print(ok)
"""


@pytest.mark.parametrize("cpu", ["generic", "haswell"])
def test_vector_update_is_the_reference_on_other_cpus(run_for_cpu, cpu):
    # LLVM maps the 16-float vectors to SSE2 ("generic") or AVX2 registers there; the
    # results must still be the reference's.
    assert run_for_cpu(_ON_ANOTHER_CPU, cpu) == "True"


def test_vector_rows_refuse_other_layouts():
    rows = np.zeros((3, MIN_WIDTH), np.float32)
    with pytest.raises(numba.core.errors.TypingError, match="dst must be a C-contiguous"):
        _vector(
            rows.astype(np.float64), rows, rows, np.zeros((5, MIN_WIDTH), np.float32), 0, 1, False
        )
    wide = np.zeros((3, 2 * MIN_WIDTH), np.float32)
    with pytest.raises(numba.core.errors.TypingError, match="faces must be a C-contiguous"):
        _vector(rows, rows, rows, wide[:, ::2], 0, 1, False)
