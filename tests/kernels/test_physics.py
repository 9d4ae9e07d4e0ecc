"""Properties of the scheme (docs/model.md §7.9, Diffusion) that every backend must keep."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import k0


def test_total_is_conserved_without_decay_and_sources(backend, make_problem):
    p = make_problem(90, 70, 6, 2, decay=False, sources=False)
    before = p.u.astype(np.float64).sum(axis=(-2, -1))
    after = p.run(backend, 50).astype(np.float64).sum(axis=(-2, -1))
    np.testing.assert_allclose(after, before, rtol=1e-5)


def test_fields_stay_non_negative_under_the_stability_bound(backend, make_problem, rng):
    p = make_problem(60, 50, 6, dt_fraction=0.999)
    # A harsh start: isolated spikes on zeros, where the centre coefficient is near 0.
    u = np.zeros_like(p.u)
    u[..., rng.random(u.shape[-2:]) < 0.05] = 1e3
    spiky = type(p)(u=u, c=p.c, s=p.s, D=p.D, lam=p.lam, dt=p.dt)
    out = spiky.run(backend, 25)
    assert out.min() >= 0.0


def test_point_source_approaches_the_continuous_steady_state(backend):
    # Steady state of u_t = D lap u - lam u + S delta: u = S / (2 pi D) K0(r / L), L = sqrt(D/lam).
    n, strength, diffusivity, length = 161, 1.0, 0.25, 8.0
    decay = diffusivity / length**2
    dt = 0.99 / (4 * diffusivity + decay)
    steps = int(12 / decay / dt)  # 12 decay times: transients are below 1e-5
    m = n // 2
    u = np.zeros((1, n, n), np.float32)
    s = np.zeros_like(u)
    s[0, m, m] = strength
    c = np.ones((n, n), np.float32)
    out = backend.to_numpy(
        backend.diffuse(
            backend.asarray(u),
            backend.asarray(c),
            backend.asarray(s),
            np.array([diffusivity], np.float32),
            np.array([decay], np.float32),
            dt,
            steps,
        )
    )[0]
    for r in (5, 8, 12, 20, 30):
        exact = strength / (2 * np.pi * diffusivity) * k0(r / length)
        assert out[m, m + r] == pytest.approx(exact, rel=0.03), r
        assert out[m - r, m] == pytest.approx(exact, rel=0.03), r
        d = round(r / np.sqrt(2))
        diagonal = strength / (2 * np.pi * diffusivity) * k0(d * np.sqrt(2) / length)
        assert out[m + d, m - d] == pytest.approx(diagonal, rel=0.03), r
