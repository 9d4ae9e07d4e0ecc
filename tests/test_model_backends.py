"""The model gives the same results on every available backend (within float32 tolerance)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from multipolar.config import load_scenario
from multipolar.io import model_tables
from multipolar.kernels import available_backends
from multipolar.model import MultipolarModel

FAST = [name for name in ("numba", "cupy") if name in available_backends()]


def run_tables(backend: str) -> tuple[dict[str, pl.DataFrame], np.ndarray]:
    model = MultipolarModel(load_scenario(), backend=backend, rng=5, spinup_months=6)
    for _ in range(8):
        model.step()
    return model_tables(model), model.field.to_host()


@pytest.fixture(scope="module")
def reference() -> tuple[dict[str, pl.DataFrame], np.ndarray]:
    return run_tables("numpy")


@pytest.mark.parametrize("backend", FAST)
def test_backend_matches_numpy_reference(backend: str, reference) -> None:
    tables, fields = run_tables(backend)
    ref_tables, ref_fields = reference
    np.testing.assert_allclose(fields, ref_fields, rtol=1e-4, atol=1e-6 * ref_fields.max())
    for name, frame in ref_tables.items():
        other = tables[name]
        assert other.columns == frame.columns and other.height == frame.height, name
        for column in frame.columns:
            if frame[column].dtype.is_float():
                np.testing.assert_allclose(
                    other[column].to_numpy(), frame[column].to_numpy(), rtol=1e-4, atol=1e-7
                )
            else:
                assert other[column].to_list() == frame[column].to_list(), (name, column)
