import numpy as np
import pytest

from multipolar.mechanisms.partnership import contest, next_partnership, state_shares


def test_division_of_labour_is_not_contest():
    # two states; RUS holds security, CHN economy, entirely
    influence = np.zeros((2, 2, 2))
    influence[:, 0, 0] = 5.0
    influence[:, 1, 1] = 3.0
    assert contest(state_shares(influence), 0, 1) == pytest.approx([0.0, 0.0])


def test_even_split_in_one_domain_is_full_contest_there():
    influence = np.ones((3, 2, 2))
    influence[:, 0, 1] = 0.0  # economy: RUS absent
    assert contest(state_shares(influence), 0, 1) == pytest.approx([1.0, 0.0])


def test_contest_by_hand_with_a_third_power():
    influence = np.array([[[6.0, 1.0], [3.0, 1.0], [1.0, 2.0]]])  # one state, 3 powers
    shares = state_shares(influence)
    assert contest(shares, 0, 1) == pytest.approx([2 * 0.3, 2 * 0.25])


def test_partnership_moves_toward_its_target():
    assert next_partnership(0.6, 0.45, rate=0.1, tolerance=1.125) == pytest.approx(0.6)
    assert next_partnership(0.6, 0.9, rate=0.1, tolerance=1.0) == pytest.approx(
        0.6 + 0.1 * (0.1 - 0.6)
    )
    assert next_partnership(0.5, 3.0, rate=1.0, tolerance=1.0) == 0.0
    assert next_partnership(0.5, 0.2, rate=0.0, tolerance=1.0) == 0.5
