"""Fixtures for the kernel tests: every registered backend, fresh random inputs.

Imports nothing beyond NumPy and ``multipolar.kernels`` (no Mesa, no Polars), so the GPU
machine can run ``pytest -m gpu tests/kernels`` with only NumPy, SciPy, Numba and CuPy.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from multipolar.kernels import _deps, max_stable_dt
from multipolar.kernels.registry import Backend, get_backend, registered_backends


@dataclass(frozen=True)
class Problem:
    """Arguments of ``diffuse`` (host arrays) for one random instance."""

    u: np.ndarray
    c: np.ndarray
    s: np.ndarray
    D: np.ndarray
    lam: np.ndarray
    dt: float

    def run(self, backend: Backend, steps: int, **options: object) -> np.ndarray:
        """``diffuse`` on ``backend``: inputs uploaded, the result brought back to the host.

        ``options`` (``scheme``, ``out``) are passed on to ``diffuse``.
        """
        xp_args = (backend.asarray(a) for a in (self.u, self.c, self.s))
        out = backend.diffuse(*xp_args, self.D, self.lam, self.dt, steps, **options)
        return backend.to_numpy(out)


def random_problem(
    rng: np.random.Generator,
    height: int,
    width: int,
    n_channels: int,
    n_batch: int | None = None,
    *,
    decay: bool = True,
    sources: bool = True,
    dt_fraction: float = 0.9,
) -> Problem:
    """A stable instance with uneven conductance in (0, 1] (some cells exactly 1).

    ``n_batch=None`` gives ``(K, H, W)`` fields, otherwise ``(B, K, H, W)``. ``dt`` is
    ``dt_fraction`` times the explicit stability limit (above 1 only for the implicit scheme).
    """
    shape = (n_channels, height, width) if n_batch is None else (n_batch, n_channels, height, width)
    c = rng.uniform(0.02, 1.0, (height, width)).astype(np.float32)
    c[rng.random((height, width)) < 0.2] = 1.0
    u = (rng.random(shape, dtype=np.float32) * rng.uniform(0.5, 10.0)).astype(np.float32)
    u[rng.random(shape) < 0.3] = 0.0
    s = (rng.random(shape, dtype=np.float32) * 0.1 * sources).astype(np.float32)
    D = rng.uniform(0.01, 0.25, n_channels).astype(np.float32)
    lam = (rng.uniform(0.0, 0.05, n_channels) * decay).astype(np.float32)
    dt = dt_fraction * min(max_stable_dt(d, k, float(c.max())) for d, k in zip(D, lam, strict=True))
    return Problem(u=u, c=c, s=s, D=D, lam=lam, dt=dt)


def _backend_param(name: str) -> object:
    if name == "cupy":
        return pytest.param(name, id=name, marks=pytest.mark.gpu)
    return pytest.param(name, id=name)


@pytest.fixture(params=[_backend_param(name) for name in registered_backends()])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each registered backend in turn; the GPU one is skipped without a CUDA device."""
    name = request.param
    if name == "cupy" and _deps.cuda_device_count() == 0:
        pytest.skip("no CUDA device (cuda_device_count() == 0)")
    return get_backend(name)


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded afresh for each test; the seed is printed, so a failure shows it.

    Set ``MULTIPOLAR_TEST_SEED`` to replay a failing seed.
    """
    seed = int(os.environ.get("MULTIPOLAR_TEST_SEED") or secrets.randbits(64))
    print(f"random seed: {seed} (replay with MULTIPOLAR_TEST_SEED={seed})")
    return np.random.default_rng(seed)


@pytest.fixture
def make_problem(rng: np.random.Generator) -> Callable[..., Problem]:
    """``make_problem(H, W, K, B=None, **options)``: a fresh :func:`random_problem`."""

    def make(
        height: int, width: int, n_channels: int, n_batch: int | None = None, **options: object
    ) -> Problem:
        return random_problem(rng, height, width, n_channels, n_batch, **options)

    return make


@pytest.fixture
def run_for_cpu(tmp_path) -> Callable[[str, str], str]:
    """Run a Python script whose Numba code is compiled for another CPU; return its output.

    ``run(script, cpu)`` sets ``NUMBA_CPU_NAME`` (``"generic"`` x86-64 has no FMA and no AVX)
    and a fresh cache, so nothing compiled for this machine is reused, and fails the test
    if the script does.
    """

    def run(script: str, cpu: str) -> str:
        env = {**os.environ, "NUMBA_CPU_NAME": cpu, "NUMBA_CACHE_DIR": str(tmp_path / cpu)}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    return run
