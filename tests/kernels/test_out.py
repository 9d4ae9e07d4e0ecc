"""``diffuse(..., out=)`` on every backend and scheme: the result lands in the caller's buffer."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from multipolar.kernels.numba_cpu import NumbaBackend

SCHEMES = ["explicit", "implicit"]


def _diffuse(backend, p, steps, **options):
    args = (backend.asarray(a) for a in (p.u, p.c, p.s))
    return backend.diffuse(*args, p.D, p.lam, p.dt, steps, **options)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("steps", [0, 1, 2, 3, 17])
def test_out_receives_the_result(backend, make_problem, scheme, steps):
    p = make_problem(21, 34, 3, 2)
    want = backend.to_numpy(_diffuse(backend, p, steps, scheme=scheme))
    out = backend.asarray(np.full_like(p.u, np.nan))
    got = _diffuse(backend, p, steps, scheme=scheme, out=out)
    assert got is out
    np.testing.assert_array_equal(backend.to_numpy(out), want)


def test_implicit_may_work_in_place(backend, make_problem):
    p = make_problem(18, 25, 2, dt_fraction=20.0)
    want = backend.to_numpy(_diffuse(backend, p, 3, scheme="implicit"))
    u, c, s = (backend.asarray(a.copy()) for a in (p.u, p.c, p.s))
    got = backend.diffuse(u, c, s, p.D, p.lam, p.dt, 3, scheme="implicit", out=u)
    assert got is u
    np.testing.assert_array_equal(backend.to_numpy(u), want)


def test_explicit_refuses_out_overlapping_u(backend, make_problem):
    p = make_problem(8, 9, 2)
    u, c, s = (backend.asarray(a) for a in (p.u, p.c, p.s))
    with pytest.raises(ValueError, match="out must not overlap u with the explicit scheme"):
        backend.diffuse(u, c, s, p.D, p.lam, p.dt, 2, out=u)


@pytest.mark.parametrize(
    ("make_out", "error", "message"),
    [
        (lambda xp, u: xp(np.zeros(u.shape[1:], np.float32)), ValueError, "shape of u"),
        (lambda xp, u: xp(np.zeros(u.shape, np.float64)), TypeError, "float32, got float64"),
        (lambda xp, u: xp(np.zeros(u.shape[::-1], np.float32)).T, ValueError, "C-contiguous"),
    ],
)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_bad_out_is_refused(backend, make_problem, make_out, error, message, scheme):
    p = make_problem(8, 9, 2)
    with pytest.raises(error, match=message):
        _diffuse(backend, p, 1, scheme=scheme, out=make_out(backend.asarray, p.u))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_numba_calls_with_out_allocate_no_field(make_problem, scheme):
    # Repeated one-month calls reuse the caller's buffers and the backend's pool.
    p = make_problem(256, 256, 6)
    backend = NumbaBackend()
    out = np.empty_like(p.u)
    for _ in range(2):
        backend.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 3, scheme=scheme, out=out)
    tracemalloc.start()
    try:
        backend.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, 3, scheme=scheme, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < p.u[0].nbytes, peak
