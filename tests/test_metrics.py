"""Metrics against their definitions on constructed alignments."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.metrics import bloc_polarization, polarity_n_eff, rivalry
from multipolar.model import MultipolarModel


@pytest.fixture(scope="module")
def model() -> MultipolarModel:
    return MultipolarModel(backend="numpy", spinup_months=2)


def others(model):
    return [s for s in model.states.values() if not s.is_great_power]


def test_two_equal_decisive_camps_are_fully_polarized(model) -> None:
    usa, rus = model.power_index["USA"], model.power_index["RUS"]
    states = others(model)
    assert len(states) % 2 == 0
    for i, s in enumerate(states):
        s.alignment = np.eye(3)[usa if i % 2 else rus]
    assert bloc_polarization(model) == pytest.approx(1.0)
    states[0].alignment = np.full(3, 1 / 3)
    assert bloc_polarization(model) < 1.0


def test_even_hedging_or_one_bloc_is_not_polarized(model) -> None:
    for s in others(model):
        s.alignment = np.full(3, 1 / 3)
    # west = USA (1/3), east = RUS + CHN (2/3): decisiveness 1/3, not zero
    assert bloc_polarization(model) == pytest.approx((1 / 3) * 4 * (1 / 3) * (2 / 3))
    for s in others(model):
        s.alignment = np.eye(3)[model.power_index["CHN"]]
    assert bloc_polarization(model) == pytest.approx(0.0)


def test_polarity_is_between_one_and_the_number_of_powers(model) -> None:
    shares = model.capabilities.capability_shares(model.params.capability.military_weight)
    assert polarity_n_eff(model) == pytest.approx(1 / np.sum(shares**2))
    assert 1 <= polarity_n_eff(model) <= 3


def test_rivalry_is_twice_the_smaller_share(model, monkeypatch) -> None:
    import multipolar.metrics as metrics

    rus, chn = model.power_index["RUS"], model.power_index["CHN"]
    shares = np.zeros(3)
    shares[rus], shares[chn] = 0.5, 0.5
    monkeypatch.setattr(metrics, "focus_shares", lambda m: shares)
    assert rivalry(model) == pytest.approx(1.0)
    shares[rus], shares[chn] = 0.9, 0.1
    assert rivalry(model) == pytest.approx(0.2)
