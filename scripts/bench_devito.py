"""Side-by-side: Devito, the Numba backend and a parallel copy on one diffusion step.

The same variable-coefficient explicit step (docs/model.md §7.9) on an N x N grid with one channel:

    u' = u + dt * (D * sum_n (c + c[n]) / 2 * (u[n] - u) - lam * u + s)

Devito (a finite-difference DSL that generates and compiles C with OpenMP) is an optional
benchmark dependency, not a runtime one. Devito 4.8 pins numpy <= 2.4.3, so install it in a
separate environment (Python >= 3.12) next to numba and scipy, and run with the sources:

    python3.12 -m venv /tmp/devito-venv
    /tmp/devito-venv/bin/pip install devito numba scipy
    DEVITO_LANGUAGE=openmp DEVITO_ARCH=gcc OMP_NUM_THREADS=$(nproc) PYTHONPATH=src \\
        /tmp/devito-venv/bin/python scripts/bench_devito.py --size 4096

Devito's stencil reads a zero halo at the grid's edge (flux towards zero) where ours has no
flux across it, so results are compared on the cells farther than ``steps`` from the edge,
which no edge effect can reach. Byte model (as in ``multipolar.bench``): per cell and step,
read u, s and c and write u', 16 bytes for one channel.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from multipolar._table import format_table
from multipolar.kernels._numba_kernels import parallel_copy
from multipolar.kernels.numba_cpu import NumbaBackend

os.environ.setdefault("DEVITO_LANGUAGE", "openmp")
os.environ.setdefault("DEVITO_ARCH", "gcc")
os.environ.setdefault("DEVITO_LOGGING", "WARNING")


def devito_stepper(c: np.ndarray, s: np.ndarray, d: float, lam: float, dt: float):
    """A function ``(u0, steps) -> u`` running Devito's generated OpenMP code."""
    from devito import Eq, Function, Grid, Operator, TimeFunction

    n_rows, n_cols = c.shape
    grid = Grid(shape=(n_rows, n_cols), extent=(n_rows - 1.0, n_cols - 1.0), dtype=np.float32)
    x, y = grid.dimensions
    t = grid.stepping_dim
    cd = Function(name="c", grid=grid, space_order=1, dtype=np.float32)
    sd = Function(name="s", grid=grid, space_order=0, dtype=np.float32)
    ud = TimeFunction(name="u", grid=grid, space_order=1, time_order=1, dtype=np.float32)
    cd.data[:] = c
    sd.data[:] = s

    def flux(di: int, dj: int):
        face = (cd[x, y] + cd[x + di, y + dj]) * 0.5
        return face * (ud[t, x + di, y + dj] - ud[t, x, y])

    lap = flux(0, 1) + flux(0, -1) + flux(1, 0) + flux(-1, 0)
    update = Eq(ud[t + 1, x, y], ud[t, x, y] + dt * (d * lap - lam * ud[t, x, y] + sd[x, y]))
    operator = Operator([update], name="diffusion")

    def run(u0: np.ndarray, steps: int) -> np.ndarray:
        ud.data[0, :] = u0
        operator.apply(time_m=0, time_M=steps - 1)
        return np.array(ud.data[steps % 2])

    return run


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, steps = args.size, args.steps
    rng = np.random.default_rng(0)
    c = rng.uniform(0.05, 1.0, (n, n)).astype(np.float32)
    s = (rng.random((n, n), dtype=np.float32) * 0.01).astype(np.float32)
    u0 = rng.random((n, n), dtype=np.float32)
    d, lam = 0.2, 0.01
    dt = 0.9 / (4 * d + lam)
    n_bytes = n * n * 16
    print(
        f"[devito-bench] {n}x{n}, 1 channel, {steps} steps, median of {args.repeats}",
        file=sys.stderr,
    )

    devito_run = devito_stepper(c, s, d, lam, dt)
    fields = (u0[None], c, s[None], np.array([d], np.float32), np.array([lam], np.float32))
    one_pass, blocked = NumbaBackend(blocking=False), NumbaBackend(blocking=True)
    src = np.ones(n_bytes // 8, np.float32)
    dst = np.zeros_like(src)
    contenders: dict[str, Callable[[], object]] = {
        "devito (openmp)": lambda: devito_run(u0, steps),
        "numba one-pass": lambda: one_pass.diffuse(*fields, dt, steps),
        "numba blocked": lambda: blocked.diffuse(*fields, dt, steps),
        "parallel copy": lambda: parallel_copy(dst, src, steps),
    }
    seconds = {}
    for name, fn in contenders.items():
        print(f"[devito-bench] timing {name}", file=sys.stderr)
        seconds[name] = median_seconds(fn, args.repeats) / steps

    edge = steps + 1
    ours = one_pass.diffuse(*fields, dt, steps)[0][edge:-edge, edge:-edge]
    theirs = devito_run(u0, steps)[edge:-edge, edge:-edge]
    agree = np.max(np.abs(ours - theirs)) / np.max(np.abs(ours))

    copy_gbps = n_bytes / seconds["parallel copy"] / 1e9
    rows = []
    for name, sec in seconds.items():
        gbps = n_bytes / sec / 1e9
        rows.append(
            [
                name,
                f"{sec * 1e3:.2f}",
                f"{n * n / sec / 1e9:.2f}",
                f"{gbps:.1f}",
                f"{gbps / copy_gbps:.0%}",
                f"{seconds['devito (openmp)'] / sec:.2f}x",
            ]
        )
    print(
        f"grid {n}x{n}, 1 channel, {steps} steps per call; byte model 16 B per cell and step "
        f"(read u, s, c; write u'); OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    print(format_table(["", "ms/step", "Gupd/s", "GB/s", "of copy", "vs devito"], rows))
    print(f"max relative difference numba vs devito away from the edge: {agree:.1e}")
    return 0 if agree < 1e-5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
