"""Smoke test: every bundled scenario validates and runs a few steps with sane outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from multipolar.config import bundled_scenarios, load_scenario
from multipolar.model import MultipolarModel


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: Path(p).stem)
def test_bundled_scenario_runs(path: Path) -> None:
    model = MultipolarModel(load_scenario(path), backend="numpy", spinup_months=3)
    for _ in range(3):
        model.step()
    assert model.steps == 3
    fields = model.field.to_host()
    assert np.isfinite(fields).all() and fields.min() >= 0.0 and fields.max() > 0.0
    for agent in model.states.values():
        assert agent.alignment.min() >= 0.0 and agent.alignment.sum() == pytest.approx(1.0)
    polarity = model.datacollector.model_vars["polarity_n_eff"]
    assert all(1.0 <= p <= len(model.powers) for p in polarity)
