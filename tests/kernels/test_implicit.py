"""The implicit scheme (contract.py) on every backend, against direct sparse solves."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from scipy.special import k0

from multipolar.kernels import _implicit, max_stable_dt
from multipolar.kernels.numba_cpu import NumbaBackend
from multipolar.kernels.numpy_ref import NumpyBackend, ordered_totals


def _operators(c: np.ndarray) -> tuple[sp.csc_matrix, sp.csc_matrix]:
    """Flux-form ``Lx`` and ``Ly`` (float64, row-major cell order) for conductance ``c``."""
    height, width = c.shape
    index = np.arange(height * width).reshape(height, width)
    c = c.astype(np.float64)

    def operator(a: np.ndarray, b: np.ndarray, face: np.ndarray) -> sp.csc_matrix:
        a, b, e = a.ravel(), b.ravel(), face.ravel()
        rows = np.concatenate([a, b, a, b])
        cols = np.concatenate([b, a, a, b])
        vals = np.concatenate([e, e, -e, -e])
        return sp.coo_matrix((vals, (rows, cols)), shape=(index.size,) * 2).tocsc()

    lx = operator(index[:, :-1], index[:, 1:], (c[:, :-1] + c[:, 1:]) / 2)
    ly = operator(index[:-1, :], index[1:, :], (c[:-1, :] + c[1:, :]) / 2)
    return lx, ly


def _oracle(p, steps: int) -> np.ndarray:
    """The scheme of contract.py in float64 with sparse direct solves, field by field."""
    lx, ly = _operators(p.c)
    eye = sp.identity(lx.shape[0], format="csc")
    fields = p.u.astype(np.float64).reshape(-1, lx.shape[0])
    sources = p.s.astype(np.float64).reshape(-1, lx.shape[0])
    n_channels = len(p.D)
    out = np.empty_like(fields)
    for f, (u, s) in enumerate(zip(fields, sources, strict=True)):
        d, lam = float(p.D[f % n_channels]), float(p.lam[f % n_channels])
        dt = float(np.float32(p.dt))
        rows = sla.splu(((1 + dt * lam) * eye - dt * d * lx).tocsc())
        columns = sla.splu((eye - dt * d * ly).tocsc())
        total = u.sum()
        for _ in range(steps):
            increment = dt * (d * ((lx + ly) @ u) - lam * u + s)
            x = np.maximum(u + columns.solve(rows.solve(increment)), 0.0)
            total = (total + dt * s.sum()) / (1 + dt * lam)
            u = x * (total / x.sum())
        out[f] = u
    return out.reshape(p.u.shape)


@pytest.mark.parametrize(
    ("height", "width", "k", "b", "steps"),
    [
        (13, 17, 2, None, 1),
        (16, 9, 3, 2, 3),
        (1, 21, 2, None, 2),
        (19, 1, 1, 2, 2),
    ],
)
@pytest.mark.parametrize("dt_fraction", [0.5, 30.0])
def test_agrees_with_sparse_direct_solves(
    backend, make_problem, height, width, k, b, steps, dt_fraction
):
    p = make_problem(height, width, k, b, dt_fraction=dt_fraction)
    got = p.run(backend, steps, scheme="implicit")
    want = _oracle(p, steps)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_fixed_point_is_the_steady_state_of_the_equation(backend, make_problem):
    # The split solves only shape each step's change: at rest, (lam - D L) u = s exactly.
    p = make_problem(20, 24, 2, decay=True)
    lam = np.array([0.05, 0.2], np.float32)
    dt = 20 * p.dt
    steady = backend.to_numpy(
        backend.diffuse(
            *(backend.asarray(a) for a in (p.u, p.c, p.s)), p.D, lam, dt, 400, scheme="implicit"
        )
    )
    lx, ly = _operators(p.c)
    eye = sp.identity(lx.shape[0], format="csc")
    for f in range(2):
        system = (lam[f] * eye - float(p.D[f]) * (lx + ly)).tocsc()
        want = sla.spsolve(system, p.s[f].astype(np.float64).ravel()).reshape(p.c.shape)
        np.testing.assert_allclose(steady[f], want, rtol=1e-4, atol=1e-4 * want.max())


def test_total_is_conserved_without_decay_and_sources(backend, make_problem):
    p = make_problem(40, 33, 3, 2, decay=False, sources=False, dt_fraction=100.0)
    before = ordered_totals(p.u)
    after = ordered_totals(p.run(backend, 30, scheme="implicit"))
    np.testing.assert_allclose(after, before, rtol=1e-6)


def test_non_negative_and_exact_total_far_beyond_the_explicit_limit(backend, make_problem, rng):
    p = make_problem(30, 40, 6, dt_fraction=1000.0)
    u = np.zeros_like(p.u)
    u[..., rng.random(u.shape[-2:]) < 0.05] = 1e3  # isolated spikes on zeros
    spiky = type(p)(u=u, c=p.c, s=p.s, D=p.D, lam=p.lam, dt=p.dt)
    steps = 7
    out = spiky.run(backend, steps, scheme="implicit")
    assert np.isfinite(out).all() and out.min() >= 0.0
    dt = float(np.float32(p.dt))
    total, source = ordered_totals(u), ordered_totals(p.s)
    for _ in range(steps):
        total = (total + dt * source) / (1 + dt * p.lam.astype(np.float64))
    np.testing.assert_allclose(ordered_totals(out), total, rtol=1e-5)


@pytest.mark.slow
def test_point_source_approaches_the_continuous_steady_state(backend):
    # Steady state of u_t = D lap u - lam u + S delta: u = S / (2 pi D) K0(r / L), L = sqrt(D/lam).
    n, strength, diffusivity, length = 161, 1.0, 0.25, 8.0
    decay = diffusivity / length**2
    dt = 10 * max_stable_dt(diffusivity, decay)
    steps = int(12 / decay / dt)
    m = n // 2
    u = np.zeros((1, n, n), np.float32)
    s = np.zeros_like(u)
    s[0, m, m] = strength
    c = np.ones((n, n), np.float32)
    args = (backend.asarray(u), backend.asarray(c), backend.asarray(s))
    coefficients = (np.array([diffusivity], np.float32), np.array([decay], np.float32))
    out = backend.to_numpy(backend.diffuse(*args, *coefficients, dt, steps, scheme="implicit"))[0]
    for r in (5, 8, 12, 20, 30):
        exact = strength / (2 * np.pi * diffusivity) * k0(r / length)
        assert out[m, m + r] == pytest.approx(exact, rel=0.03), r
        assert out[m - r, m] == pytest.approx(exact, rel=0.03), r
        d = round(r / np.sqrt(2))
        diagonal = strength / (2 * np.pi * diffusivity) * k0(d * np.sqrt(2) / length)
        assert out[m + d, m - d] == pytest.approx(diagonal, rel=0.03), r


def _close_to_reference(got: np.ndarray, want: np.ndarray) -> None:
    # Numba contracts multiply-adds into FMAs and rearranges the recurrences, so it differs
    # from the reference in the last bits only: about 1e-7 of the largest value a step.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * np.abs(want).max())


@pytest.mark.parametrize(
    ("height", "width", "k", "b"),
    [
        (37, 45, 3, None),
        (33, 70, 6, 3),
        (1, 70, 2, None),
        (45, 1, 2, 2),
        (9, 17, 1, None),
        (300, 310, 3, 2),  # above IMPLICIT_SERIAL_BELOW: the threads share the sweeps
    ],
)
def test_numba_agrees_with_the_reference(make_problem, height, width, k, b):
    p = make_problem(height, width, k, b, dt_fraction=40.0)
    want = p.run(NumpyBackend(), 3, scheme="implicit")
    got = p.run(NumbaBackend(), 3, scheme="implicit")
    _close_to_reference(got, want)


def _shared_coefficients(p, k: int):
    """``p`` with the model's pattern: one diffusivity for all channels, two decays in turn."""
    lam = np.resize(np.array([p.lam[0], p.lam[0] + 0.03], np.float32), k)
    return type(p)(u=p.u, c=p.c, s=p.s, D=np.full(k, p.D[0], np.float32), lam=lam, dt=p.dt)


@pytest.mark.parametrize(
    ("k", "b", "shared"),
    [
        (3, None, False),
        (1, None, False),
        (3, 2, False),
        (6, None, False),
        (6, None, True),  # fields reuse the row and column coefficients of the one before
        (3, 2, True),
    ],
)
def test_numba_sweeps_give_the_same_bytes_however_the_work_is_split(make_problem, k, b, shared):
    # lod_steps picks the fused sweep (its threads' shares of the fields, which reuse the
    # coefficients a field with the same D and lam left) or the split row and column sweeps
    # from the thread count it is given: the result must not depend on which.
    p = make_problem(29, 38, k, b, dt_fraction=40.0)
    if shared:
        p = _shared_coefficients(p, k)
    n_fields = p.u.size // (29 * 38)
    u, s = (a.reshape(n_fields, 29, 38) for a in (p.u, p.s))
    d = np.tile(p.D, n_fields // k)
    lam = np.tile(p.lam, n_fields // k)
    dt = np.float32(p.dt)
    fac = _implicit.factors(p.c, d, lam, dt)
    runs = []
    for threads in (1, 2, 3, 4):
        buffers = (np.empty_like(u), np.empty_like(u))
        runs.append(_implicit.lod_steps(u, s, d, lam, dt, 3, buffers, threads, fac).copy())
    for got in runs[1:]:
        np.testing.assert_array_equal(got, runs[0])
    _close_to_reference(runs[0].reshape(p.u.shape), p.run(NumpyBackend(), 3, scheme="implicit"))


def test_numba_close_to_the_reference_is_not_loose(make_problem):
    # The tolerance above would catch a real slip: one step less, or a decay off by 1%.
    p = make_problem(40, 50, 2, dt_fraction=40.0)
    want = p.run(NumpyBackend(), 3, scheme="implicit")
    with pytest.raises(AssertionError):
        _close_to_reference(p.run(NumbaBackend(), 2, scheme="implicit"), want)
    slipped = type(p)(u=p.u, c=p.c, s=p.s, D=p.D, lam=p.lam * np.float32(1.01) + 1e-3, dt=p.dt)
    with pytest.raises(AssertionError):
        _close_to_reference(slipped.run(NumbaBackend(), 3, scheme="implicit"), want)


def test_columns_are_split_only_when_the_fields_do_not_share_out_evenly():
    assert _implicit.split_columns(6, 2) == 1
    assert _implicit.split_columns(3, 2) == 2
    assert _implicit.split_columns(1, 2) == 2
    assert _implicit.split_columns(6, 4) == 2
    assert _implicit.split_columns(5, 1) == 1


def test_unknown_scheme_is_refused(backend, make_problem):
    p = make_problem(5, 6, 1)
    with pytest.raises(ValueError, match="scheme must be one of explicit, implicit, got 'crank'"):
        p.run(backend, 1, scheme="crank")
