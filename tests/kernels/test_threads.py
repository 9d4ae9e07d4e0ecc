"""Numba results do not depend on the number of threads: the same bytes with 1 and 2."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

_SCRIPT = """
import hashlib, sys
import numba, numpy as np
from multipolar.kernels.numba_cpu import IMPLICIT_SERIAL_BELOW, NumbaBackend
sys.path.insert(0, {tests!r})
from conftest import random_problem

assert numba.get_num_threads() == int(sys.argv[1]), numba.get_num_threads()
p = random_problem(np.random.default_rng(7), 75, 61, 3, 2)
digest = hashlib.sha256()
for backend, steps, scheme in [
    (NumbaBackend(blocking=False), 5, "explicit"),
    (NumbaBackend(blocking=True), 21, "explicit"),
    (NumbaBackend(), 4, "implicit"),
]:
    digest.update(backend.diffuse(p.u, p.c, p.s, p.D, p.lam, p.dt, steps, scheme=scheme).tobytes())
big = random_problem(np.random.default_rng(11), 300, 310, 3, 2, dt_fraction=30.0)
assert big.u.size >= IMPLICIT_SERIAL_BELOW  # the threads share the sweeps
out = NumbaBackend().diffuse(big.u, big.c, big.s, big.D, big.lam, big.dt, 2, scheme="implicit")
digest.update(out.tobytes())
labels = np.random.default_rng(8).integers(0, 9, (75, 61))
fields = np.random.default_rng(9).random((2, 3, 600, 610), dtype=np.float32)
labels_big = np.random.default_rng(10).integers(0, 40, (600, 610))
digest.update(NumbaBackend().zonal_sum(p.u, labels, 9).tobytes())
digest.update(NumbaBackend().zonal_sum(fields, labels_big, 40).tobytes())
print(digest.hexdigest())
"""


def _digest(threads: int) -> str:
    tests = os.path.dirname(__file__)
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    script = _SCRIPT.format(tests=tests)
    result = subprocess.run(
        [sys.executable, "-c", script, str(threads)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_diffuse_and_zonal_sum_give_the_same_bytes_for_1_and_2_threads():
    one, two = _digest(1), _digest(2)
    assert len(one) == len(hashlib.sha256().hexdigest())
    assert one == two


def test_zonal_sum_chunks_do_not_follow_the_thread_count(monkeypatch):
    # The chunking of the float64 sums is fixed by the cell count, never by the threads.
    import numba

    from multipolar.kernels import numba_cpu

    seen = []
    real = numba_cpu.zonal_sum_partials

    def spy(fields, labels, n_labels, n_chunks):
        seen.append(n_chunks)
        return real(fields, labels, n_labels, n_chunks)

    monkeypatch.setattr(numba_cpu, "zonal_sum_partials", spy)
    u = np.ones((2, 300, 300), np.float32)
    labels = np.zeros((300, 300), np.int64)
    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        numba_cpu.NumbaBackend().zonal_sum(u, labels, 1)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert len(set(seen)) == 1 and seen[0] == min(
        numba_cpu.ZONAL_CHUNKS, 300 * 300 // numba_cpu.ZONAL_MIN_CELLS
    )
