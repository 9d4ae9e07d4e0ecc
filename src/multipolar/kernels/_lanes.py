"""Vector code for sixteen row recurrences at once: one row per lane of a 16-float vector.

A recurrence along a row (``d[j] = a[j] + b[j] * d[j - 1]``) is a chain of dependent
multiply-adds, one per cell; solved one row at a time, or a few rows interleaved, a core
waits on each multiply-add's latency and stores one float per cell. Here sixteen rows are
solved side by side, lane ``q`` of each vector holding row ``q``: a tile of 16 × 16 cells
is loaded along the rows, transposed in registers (four rounds of two-vector shuffles),
and its sixteen columns go through the chain as sixteen vector multiply-adds. Each lane
does exactly the scalar operations of its row, in the same order, so the results are the
same bytes as the scalar recurrence's (:func:`forward_scalar`, :func:`backward_scalar`).

Numba has no vector types, so the loops are written in LLVM IR as Numba intrinsics; LLVM
maps ``<16 x float>`` to whatever the CPU has (one 512-bit register with AVX-512, two
256-bit ones with AVX2, four 128-bit ones on other CPUs).

The kernels work in place on groups of sixteen rows of one C-contiguous ``(R, P)`` float32
array, over the columns of ``n_tiles`` tiles (``16 * n_tiles <= P``). A group is either in
row layout or tiled: each 16 × 16 tile transposed in place, so that row ``r0 + k`` of tile
``t`` holds column ``16 * t + k`` of the sixteen rows, one vector load away. The kernels
check the array's type but not its bounds: the caller sizes it (``_implicit`` pads its
scratch rows to whole tiles).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic

WIDTH = 16
"""Rows solved at once (the lanes of a vector) and the side of a transposed tile."""

__all__ = [
    "WIDTH",
    "backward_scalar",
    "backward_tiles",
    "forward_scalar",
    "forward_tiles",
    "transpose_tiles",
]

_F32 = ir.FloatType()
_VEC = ir.VectorType(_F32, WIDTH)
_I64 = ir.IntType(64)


def _mask(indices: list[int]) -> ir.Constant:
    """A shuffle's constant ``<16 x i32>`` mask."""
    return ir.Constant(ir.VectorType(ir.IntType(32), WIDTH), indices)


def _transpose(builder: ir.IRBuilder, vectors: list) -> list:
    """The 16 × 16 transpose of ``vectors`` (element ``k`` of vector ``q`` to ``q`` of ``k``).

    Round ``s`` swaps bit ``s`` of the vector index with bit ``s`` of the element index, one
    two-vector shuffle per output vector; after four rounds every bit has been swapped.
    """
    out = list(vectors)
    for s in range(4):
        bit = 1 << s
        low_mask = [k if not k & bit else WIDTH + (k ^ bit) for k in range(WIDTH)]
        high_mask = [k ^ bit if not k & bit else WIDTH + k for k in range(WIDTH)]
        for q in range(WIDTH):
            if q & bit:
                continue
            lo, hi = out[q], out[q | bit]
            out[q] = builder.shuffle_vector(lo, hi, _mask(low_mask))
            out[q | bit] = builder.shuffle_vector(lo, hi, _mask(high_mask))
    return out


def _vector_at(builder: ir.IRBuilder, base, index):
    """Pointer to the 16 floats starting at float ``index`` of ``base``."""
    return builder.bitcast(builder.gep(base, [index]), _VEC.as_pointer())


def _load(builder: ir.IRBuilder, base, index):
    """The 16 floats at float ``index`` of ``base`` (no alignment assumed)."""
    return builder.load(_vector_at(builder, base, index), align=4)


def _store(builder: ir.IRBuilder, value, base, index) -> None:
    """Store a 16-float vector at float ``index`` of ``base``."""
    builder.store(value, _vector_at(builder, base, index), align=4)


def _fma(builder: ir.IRBuilder, a, b, c):
    """``c + a * b`` lane by lane, with the ``contract`` flag of the scalar code's fastmath.

    LLVM fuses the pair into one FMA instruction where the CPU has one, exactly as it does
    for the scalar recurrences (``fastmath={"contract"}``), and rounds twice where it does
    not, so the vector and scalar results agree on every CPU.
    """
    product = builder.fmul(a, b, flags=("contract",))
    return builder.fadd(c, product, flags=("contract",))


def is_rows(ty) -> bool:
    """Whether ``ty`` is a C-contiguous 2-D float32 array, the only layout the kernels take."""
    return (
        isinstance(ty, types.Array)
        and ty.ndim == 2
        and ty.layout == "C"
        and ty.dtype == types.float32
    )


def _signature(rows, n_groups: int):
    """``void(rows, int64 * n_groups, n_tiles)``; refuses any layout but the kernels' one."""
    if not is_rows(rows):
        raise TypingError(f"rows must be a C-contiguous 2-D float32 array, got {rows}")
    return types.void(rows, *([types.int64] * n_groups), types.int64)


def _row_pointers(context, builder, rows_ty, rows, r0):
    """Pointers to the first float of rows ``r0 .. r0 + 15`` of a C-contiguous 2-D array."""
    array = context.make_array(rows_ty)(context, builder, rows)
    pitch = cgutils.unpack_tuple(builder, array.shape, 2)[1]
    start = builder.mul(r0, pitch)
    return [
        builder.gep(array.data, [builder.add(start, builder.mul(ir.Constant(_I64, q), pitch))])
        for q in range(WIDTH)
    ]


def _rows_args(context, builder, signature, args):
    """Row pointers of the ``rows`` argument at each row-index argument, and the tile count."""
    rows_ty, rows_v = signature.args[0], args[0]
    pointers = [_row_pointers(context, builder, rows_ty, rows_v, r) for r in args[1:-1]]
    return pointers, args[-1]


def _column(builder, tile_index) -> ir.Value:
    """First column of tile ``tile_index``."""
    return builder.mul(tile_index, ir.Constant(_I64, WIDTH))


@intrinsic
def transpose_tiles(typingctx, rows, r0, n_tiles):
    """Transpose each 16 × 16 tile of rows ``r0 .. r0 + 15`` of ``rows`` in place."""
    sig = _signature(rows, 1)

    def codegen(context, builder, signature, args):
        (pointers,), n = _rows_args(context, builder, signature, args)
        with cgutils.for_range(builder, n) as loop:
            col = _column(builder, loop.index)
            tile = _transpose(builder, [_load(builder, p, col) for p in pointers])
            for p, vector in zip(pointers, tile, strict=True):
                _store(builder, vector, p, col)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def forward_tiles(typingctx, rows, r0, rb, n_tiles):
    """``d[j] = a[j] + b[j] * d[j - 1]`` (``d[-1] = 0``) along sixteen rows at once.

    ``a`` is rows ``r0 .. r0 + 15`` of ``rows`` (row layout), ``b`` rows ``rb ..`` with each
    tile transposed (:func:`transpose_tiles`). ``d`` replaces ``a``, each tile transposed:
    column ``16 * t + k`` of the sixteen rows in row ``r0 + k``, columns ``16 * t ..``.
    """
    sig = _signature(rows, 2)

    def codegen(context, builder, signature, args):
        (a_rows, b_rows), n = _rows_args(context, builder, signature, args)
        carry = cgutils.alloca_once_value(builder, ir.Constant(_VEC, [0.0] * WIDTH))
        with cgutils.for_range(builder, n) as loop:
            col = _column(builder, loop.index)
            columns = _transpose(builder, [_load(builder, p, col) for p in a_rows])
            value = builder.load(carry)
            for k in range(WIDTH):
                value = _fma(builder, _load(builder, b_rows[k], col), value, columns[k])
                _store(builder, value, a_rows[k], col)
            builder.store(value, carry)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def backward_tiles(typingctx, rows, r0, re, n_tiles):
    """``x[j] = d[j] + e[j] * x[j + 1]`` (``x = 0`` past the last tile) along sixteen rows.

    ``d`` (rows ``r0 ..``, as :func:`forward_tiles` leaves it) and ``e`` (rows ``re ..``)
    have each tile transposed; ``x`` replaces ``d`` in row layout.
    """
    sig = _signature(rows, 2)

    def codegen(context, builder, signature, args):
        (d_rows, e_rows), n = _rows_args(context, builder, signature, args)
        carry = cgutils.alloca_once_value(builder, ir.Constant(_VEC, [0.0] * WIDTH))
        with cgutils.for_range(builder, n) as loop:
            col = _column(builder, builder.sub(builder.sub(n, loop.index), ir.Constant(_I64, 1)))
            value = builder.load(carry)
            columns: list = [None] * WIDTH
            for k in range(WIDTH - 1, -1, -1):
                d_k = _load(builder, d_rows[k], col)
                value = _fma(builder, _load(builder, e_rows[k], col), value, d_k)
                columns[k] = value
            builder.store(value, carry)
            for p, row in zip(d_rows, _transpose(builder, columns), strict=True):
                _store(builder, row, p, col)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, fastmath={"contract"})
def forward_scalar(a: np.ndarray, b: np.ndarray) -> None:
    """The forward recurrence of one row in place, ``a[j] = a[j] + b[j] * a[j - 1]``."""
    d = np.float32(0.0)
    for j in range(a.shape[0]):
        d = a[j] + b[j] * d
        a[j] = d


@numba.njit(cache=True, fastmath={"contract"})
def backward_scalar(a: np.ndarray, e: np.ndarray) -> None:
    """The back substitution of one row in place, ``a[j] = a[j] + e[j] * a[j + 1]``."""
    d = np.float32(0.0)
    for j in range(a.shape[0] - 1, -1, -1):
        d = a[j] + e[j] * d
        a[j] = d
