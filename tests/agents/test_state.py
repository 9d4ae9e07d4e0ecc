"""StateAgent: its own state (alignment, shock) and the step that applies the mechanisms."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.mechanisms.alignment import softmax
from multipolar.model import MultipolarModel


@pytest.fixture
def model() -> MultipolarModel:
    return MultipolarModel(backend="numpy", spinup_months=0, alignment__noise=0.0)


def test_step_moves_a_fraction_of_the_way_and_stays_on_the_simplex(model) -> None:
    state = model.states["TKM"]
    start = np.array([0.7, 0.2, 0.1])
    state.alignment = start.copy()
    target = softmax(state.utilities() / model.params.alignment.temperature)
    state.step()
    rate = model.params.alignment.rate
    np.testing.assert_allclose(state.alignment, (1 - rate) * start + rate * target)
    assert state.alignment.sum() == pytest.approx(1.0)


def test_shock_is_drawn_from_the_model_generator() -> None:
    a = MultipolarModel(backend="numpy", spinup_months=0, rng=5)
    b = MultipolarModel(backend="numpy", spinup_months=0, rng=5)
    c = MultipolarModel(backend="numpy", spinup_months=0, rng=6)
    for m in (a, b, c):
        m.states["UZB"].step()
    assert np.array_equal(a.states["UZB"].shock, b.states["UZB"].shock)
    assert not np.array_equal(a.states["UZB"].shock, c.states["UZB"].shock)
    noise = a.params.alignment.noise
    assert 0 < np.abs(a.states["UZB"].shock).max() < 6 * noise


def test_great_powers_do_not_move(model) -> None:
    russia = model.states["RUS"]
    before = russia.alignment.copy()
    russia.step()
    assert np.array_equal(russia.alignment, before)


def test_state_outside_the_grid_keeps_its_alignment_until_membership_changes(model) -> None:
    finland = model.states["FIN"]
    assert not finland.in_grid
    start = finland.start_alignment.copy()
    finland.step()
    np.testing.assert_allclose(finland.alignment, start)
    model.memberships.join("NATO", "FIN", model.date, cause="test")
    finland.step()
    assert finland.alignment[model.power_index["USA"]] > start[model.power_index["USA"]]


def test_suspending_a_membership_turns_the_state_away_from_the_leaders(model) -> None:
    armenia = model.states["ARM"]
    rus = model.power_index["RUS"]
    from multipolar.mechanisms.alignment import institutions

    params = model.params.alignment
    before, ties_before = armenia.utilities(), model.world.ties("ARM")
    model.memberships.suspend("CSTO", "ARM", model.date, cause="test")
    after, ties_after = armenia.utilities(), model.world.ties("ARM")
    # the CSTO's full lead moves from a pull to a push of suspended_penalty
    assert ties_after[rus] - ties_before[rus] == pytest.approx(-(1 + params.suspended_penalty))
    pull = institutions(ties_after, params) - institutions(ties_before, params)
    assert after - before == pytest.approx(params.institution_weight * pull)
    assert after[rus] < before[rus]


def test_alignment_shock_shifts_the_utility_and_fades(model) -> None:
    uzbekistan = model.states["UZB"]
    usa = model.power_index["USA"]
    before = uzbekistan.utilities()[usa]
    model.world.add_affinity("UZB", "USA", -1.0, half_life=12.0)
    assert uzbekistan.utilities()[usa] == pytest.approx(before - 1.0)
    for _ in range(12):
        model.world.fade_affinities()
    assert uzbekistan.utilities()[usa] == pytest.approx(before - 0.5)
