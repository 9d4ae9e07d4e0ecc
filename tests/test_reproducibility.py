"""The same scenario and seed give byte-identical outputs whatever Numba's thread count."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest


def _run(out: Path, threads: int) -> None:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    command = [sys.executable, "-m", "multipolar", "run", "--steps", "6", "--backend", "numba"]
    result = subprocess.run(
        [*command, "--seed", "5", "--out", str(out)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_one_and_two_numba_threads_give_identical_outputs(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    _run(one, 1)
    _run(two, 2)
    for table in ("model", "states", "basins", "events"):
        a = pl.read_parquet(one / f"{table}.parquet")
        b = pl.read_parquet(two / f"{table}.parquet")
        assert a.equals(b), table
    fields_one, fields_two = np.load(one / "fields_final.npz"), np.load(two / "fields_final.npz")
    assert sorted(fields_one.files) == sorted(fields_two.files)
    for name in fields_one.files:
        assert fields_one[name].tobytes() == fields_two[name].tobytes(), name
