"""Vector code for the explicit update of one or two whole rows: 16 cells per vector.

The one-pass kernel is bound by each core's loads, not by its arithmetic: compiled from
scalar Numba code, every cell update loads its three ``u`` neighbours along the row and its
two east/west face conductances separately (ten vector loads per 16 cells), and each row
reads its north and south rows of ``u`` and faces again, though the row beside it read
them too. Here, written in LLVM IR as Numba intrinsics (Numba has no vector types):

* the east and west neighbours, and the west face, are shifted in from the vectors of the
  previous and next 16 cells, already in registers, instead of loaded again;
* two rows are updated in one pass, so the row between them and the face between them
  are loaded once for both (per two output rows: 4 rows of ``u`` instead of 6, 5 rows of
  faces instead of 6);
* with ``streaming``, the new values are written with non-temporal stores, which do not
  read the output's cache lines first (a quarter of the step's memory traffic) and leave
  the caches to the inputs. This needs every row of ``dst`` to start on a 64-byte line.

Each lane does exactly the reference's float32 operations for its cell, in the same order
and without contraction (``lap = ((fe + fw) + fs) + fn``, then
``u + dt * ((D * lap - lam * u) + s)``; see :func:`~multipolar.kernels._numba_kernels.update_row`),
so the results are the reference's bytes up to the sign of an exact zero. A missing
neighbour at the west and east edges enters as a zero face times a finite difference, as
the north and south edges already do (the caller's face rows are zero there).

The arrays are C-contiguous 2-D float32: ``dst``, ``src`` and ``s`` are one field's
``(H, W)`` rows and ``faces`` the face rows of a block
(:func:`~multipolar.kernels._numba_kernels.face_rows`; it may be wider). Rows must be at
least :data:`MIN_WIDTH` cells wide: the last vector is placed to end on the row's last cell,
overlapping the one before it when ``W`` is not a multiple of 16 (it recomputes the same
values), and nothing outside a row is read or written.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic

from multipolar.kernels._lanes import WIDTH, is_rows

__all__ = ["MIN_WIDTH", "update_pair", "update_single"]

MIN_WIDTH = WIDTH + 1
"""Narrowest row the vector code takes; narrower grids use the scalar ``update_row``."""

_F32 = ir.FloatType()
_VEC = ir.VectorType(_F32, WIDTH)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_ZERO = ir.Constant(_VEC, [0.0] * WIDTH)


def _mask(indices: list[int]) -> ir.Constant:
    return ir.Constant(ir.VectorType(_I32, WIDTH), indices)


_EAST = _mask(list(range(1, WIDTH + 1)))
"""``shuffle(cur, next)``: cells ``q + 1 .. q + 16``."""
_WEST = _mask(list(range(WIDTH - 1, 2 * WIDTH - 1)))
"""``shuffle(prev, cur)``: cells ``q - 1 .. q + 14``."""
_EAST_EDGE = _mask(list(range(1, WIDTH)) + [WIDTH])
"""``shuffle(cur, zero)``: cells ``q + 1 .. q + 15`` and a zero past the row's end."""


def _signature(dst, src, s, faces, ints, floats, streaming):
    """The kernels' signature; refuses any layout but C-contiguous 2-D float32 rows."""
    for name, ty in (("dst", dst), ("src", src), ("s", s), ("faces", faces)):
        if not is_rows(ty):
            raise TypingError(f"{name} must be a C-contiguous 2-D float32 array, got {ty}")
    if not all(isinstance(t, types.Integer) for t in ints):
        raise TypingError(f"row indices must be integers, got {ints}")
    if not all(t == types.float32 for t in floats):
        raise TypingError(f"D, lam and dt must be float32, got {floats}")
    if not isinstance(streaming, types.Boolean):
        raise TypingError(f"streaming must be a boolean, got {streaming}")
    return types.void(dst, src, s, faces, *ints, *floats, streaming)


class _Rows:
    """Code generation for ``n_rows`` adjacent rows: pointers, loads, and one vector of cells."""

    def __init__(self, context, builder, signature, args, n_rows: int) -> None:
        self.builder = builder
        self.n_rows = n_rows
        arrays = [
            context.make_array(ty)(context, builder, value)
            for ty, value in zip(signature.args[:4], args[:4], strict=True)
        ]
        first, north, south, face_row = (
            builder.sext(v, _I64) if v.type.width < 64 else v for v in args[4:8]
        )
        self.width = cgutils.unpack_tuple(builder, arrays[0].shape, 2)[1]
        dst, src, s, faces = arrays
        rows = [builder.add(first, self.const(k)) for k in range(n_rows)]
        self.u = [self._row(src, north), *(self._row(src, r) for r in rows), self._row(src, south)]
        self.out = [self._row(dst, r) for r in rows]
        self.s = [self._row(s, r) for r in rows]
        face = [
            self._row(faces, builder.add(face_row, self.const(k))) for k in range(2 * n_rows + 1)
        ]
        self.vertical = face[0::2]
        self.east = face[1::2]
        self.d, self.lam, self.dt = (self._splat(v) for v in args[8:11])

    def const(self, value: int) -> ir.Constant:
        return ir.Constant(_I64, value)

    def _row(self, array, row):
        pitch = cgutils.unpack_tuple(self.builder, array.shape, 2)[1]
        return self.builder.gep(array.data, [self.builder.mul(row, pitch)])

    def _splat(self, scalar):
        b = self.builder
        one = b.insert_element(ir.Constant(_VEC, ir.Undefined), scalar, ir.Constant(_I32, 0))
        return b.shuffle_vector(one, ir.Constant(_VEC, ir.Undefined), _mask([0] * WIDTH))

    def _pointer(self, row, q):
        return self.builder.bitcast(self.builder.gep(row, [q]), _VEC.as_pointer())

    def load(self, row, q):
        """The 16 floats of ``row`` from cell ``q`` (no alignment assumed)."""
        return self.builder.load(self._pointer(row, q), align=4)

    def cells(self, q, centre, west, east, west_face, east_face, streaming: bool) -> None:
        """Update cells ``q .. q + 15`` of every row, given each row's shifted vectors."""
        b = self.builder
        n = self.n_rows
        north, south = self.load(self.u[0], q), self.load(self.u[n + 1], q)
        vertical = [self.load(row, q) for row in self.vertical]
        new = []
        for k in range(n):
            u0 = centre[k]
            above = north if k == 0 else centre[k - 1]
            below = south if k == n - 1 else centre[k + 1]
            lap = b.fadd(
                b.fmul(east_face[k], b.fsub(east[k], u0)),
                b.fmul(west_face[k], b.fsub(west[k], u0)),
            )
            lap = b.fadd(lap, b.fmul(vertical[k + 1], b.fsub(below, u0)))
            lap = b.fadd(lap, b.fmul(vertical[k], b.fsub(above, u0)))
            change = b.fsub(b.fmul(self.d, lap), b.fmul(self.lam, u0))
            change = b.fadd(change, self.load(self.s[k], q))
            new.append(b.fadd(u0, b.fmul(self.dt, change)))
        for k in range(n):
            if streaming:
                store = b.store(new[k], self._pointer(self.out[k], q), align=64)
                store.set_metadata("nontemporal", b.module.add_metadata([ir.Constant(_I32, 1)]))
            else:
                b.store(new[k], self._pointer(self.out[k], q), align=4)

    def update(self, streaming: bool) -> None:
        """Every cell of the rows: a loop over whole vectors, then the row's last cells."""
        b, n = self.builder, self.n_rows
        one, step = self.const(1), self.const(WIDTH)
        # Lane 15 of the carried west vectors is the cell before q: zero before the row,
        # where the west face is zero too.
        u_prev = [cgutils.alloca_once_value(b, _ZERO) for _ in range(n)]
        face_prev = [cgutils.alloca_once_value(b, _ZERO) for _ in range(n)]
        u_cur = [
            cgutils.alloca_once_value(b, self.load(self.u[1 + k], self.const(0))) for k in range(n)
        ]

        def carried(q, east):
            centre = [b.load(p) for p in u_cur]
            east_face = [self.load(row, q) for row in self.east]
            west = [b.shuffle_vector(b.load(u_prev[k]), centre[k], _WEST) for k in range(n)]
            west_face = [
                b.shuffle_vector(b.load(face_prev[k]), east_face[k], _WEST) for k in range(n)
            ]
            self.cells(q, centre, west, east(centre), west_face, east_face, streaming)
            return centre, east_face

        # Vectors whose next 16 cells are still in the row: their east neighbours come
        # from registers.
        n_loop = b.sdiv(b.sub(self.width, step), step)
        with cgutils.for_range(b, n_loop) as loop:
            q = b.mul(loop.index, step)
            after = [self.load(self.u[1 + k], b.add(q, step)) for k in range(n)]
            centre, east_face = carried(
                q, lambda c: [b.shuffle_vector(c[k], after[k], _EAST) for k in range(n)]
            )
            for k in range(n):
                b.store(centre[k], u_prev[k])
                b.store(after[k], u_cur[k])
                b.store(east_face[k], face_prev[k])
        done = b.mul(n_loop, step)
        last = b.sub(self.width, step)
        with b.if_then(b.icmp_signed("<", done, last)):
            q_east = b.add(done, one)
            carried(done, lambda c: [self.load(self.u[1 + k], q_east) for k in range(n)])
        # The last 16 cells; the east neighbour of the row's last cell is a zero (its east
        # face is zero).
        west_q = b.sub(last, one)
        centre = [self.load(self.u[1 + k], last) for k in range(n)]
        self.cells(
            last,
            centre,
            [self.load(self.u[1 + k], west_q) for k in range(n)],
            [b.shuffle_vector(c, _ZERO, _EAST_EDGE) for c in centre],
            [self.load(row, west_q) for row in self.east],
            [self.load(row, last) for row in self.east],
            streaming,
        )
        if streaming:
            b.fence("seq_cst")


def _kernel(n_rows: int):
    """The intrinsic updating rows ``first .. first + n_rows - 1`` of one field."""

    def typer(typingctx, dst, src, s, faces, first, north, south, face_row, d, lam, dt, streaming):
        sig = _signature(
            dst, src, s, faces, (first, north, south, face_row), (d, lam, dt), streaming
        )

        def codegen(context, builder, signature, args):
            rows = _Rows(context, builder, signature, args, n_rows)
            with builder.if_else(args[11]) as (streamed, cached):
                with streamed:
                    rows.update(streaming=True)
                with cached:
                    rows.update(streaming=False)
            return context.get_dummy_value()

        return sig, codegen

    typer.__name__ = f"update_{n_rows}_rows"
    return intrinsic(typer)


update_single = _kernel(1)
"""``update_single(dst, src, s, faces, i, north, south, face_row, D, lam, dt, streaming)``.

Row ``i`` of ``dst`` from rows ``north``, ``i`` and ``south`` of ``src`` (``north = i`` at
the grid's top, ``south = i`` at its bottom) and row ``i`` of ``s``. Face rows of ``faces``:
``face_row`` north of row ``i``, ``face_row + 1`` east, ``face_row + 2`` south.
"""

update_pair = _kernel(2)
"""``update_pair(dst, src, s, faces, i, north, south, face_row, D, lam, dt, streaming)``.

Rows ``i`` and ``i + 1``, as :data:`update_single` for each (``south`` is the row below
``i + 1``); face rows ``face_row .. face_row + 4``: north of ``i``, east of ``i``, between
the two, east of ``i + 1``, south of ``i + 1``.
"""
