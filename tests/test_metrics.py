"""Metrics against their definitions on constructed alignments and shares."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.metrics import bloc_polarization, domain_shares, polarity_n_eff, pole_view

WEST, EAST = [2], [0, 1]  # powers (RUS, CHN, USA)


def test_two_equal_decisive_camps_are_fully_polarized() -> None:
    camps = np.array([np.eye(3)[2] if i % 2 else np.eye(3)[0] for i in range(6)])
    assert bloc_polarization(camps, WEST, EAST) == pytest.approx(1.0)
    camps[0] = 1 / 3
    assert bloc_polarization(camps, WEST, EAST) < 1.0


def test_even_hedging_or_one_bloc_is_not_polarized() -> None:
    even = np.full((4, 3), 1 / 3)
    # west = USA (1/3), east = RUS + CHN (2/3): decisiveness 1/3, not zero
    expected = (1 / 3) * 4 * (1 / 3) * (2 / 3) / (1.0) ** 2
    assert bloc_polarization(even, WEST, EAST) == pytest.approx(expected)
    assert bloc_polarization(np.tile(np.eye(3)[1], (4, 1)), WEST, EAST) == pytest.approx(0.0)


def test_polarity_is_between_one_and_the_number_of_powers() -> None:
    rng = np.random.default_rng()
    shares = rng.dirichlet(np.ones(3))
    assert polarity_n_eff(shares) == pytest.approx(1 / np.sum(shares**2))
    assert 1 <= polarity_n_eff(shares) <= 3
    assert polarity_n_eff(np.full(3, 1 / 3)) == pytest.approx(3.0)


def test_pole_view_separates_the_three_poles() -> None:
    # two states wholly with RUS, one with CHN, one with USA: three poles, fully decisive
    alignment = np.array([np.eye(3)[0], np.eye(3)[0], np.eye(3)[1], np.eye(3)[2]])
    shares, n_eff, polarization = pole_view(alignment)
    assert shares == pytest.approx([0.5, 0.25, 0.25])
    assert n_eff == pytest.approx(1 / (0.25 + 0.0625 + 0.0625))
    assert polarization == pytest.approx(1.0)
    assert pole_view(np.full((5, 3), 1 / 3))[2] == pytest.approx(0.0)
    # the two-bloc view cannot tell China's camp from Russia's; the three-pole view can
    russia_camp = np.array([np.eye(3)[0], np.eye(3)[2]])
    china_camp = np.array([np.eye(3)[1], np.eye(3)[2]])
    assert bloc_polarization(russia_camp, WEST, EAST) == bloc_polarization(china_camp, WEST, EAST)
    assert pole_view(russia_camp)[0][0] != pole_view(china_camp)[0][0]


def test_domain_shares_sum_to_one_per_domain() -> None:
    rng = np.random.default_rng()
    totals = rng.uniform(0, 5, size=(3, 2))
    shares = domain_shares(totals)
    assert shares.sum(axis=0) == pytest.approx([1.0, 1.0])
    assert shares[:, 0] == pytest.approx(totals[:, 0] / totals[:, 0].sum())
    assert domain_shares(np.zeros((3, 2))).sum() == 0.0
