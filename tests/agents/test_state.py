"""StateAgent: hedging, balancing against threats, and the simplex."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.agents.state import softmax
from multipolar.model import MultipolarModel


@pytest.fixture(scope="module")
def model() -> MultipolarModel:
    return MultipolarModel(backend="numpy", spinup_months=0, alignment__noise=0.0)


def with_levels(model, monkeypatch, security, economy) -> None:
    monkeypatch.setattr(
        model.readings, "levels", lambda iso3: (np.array(security), np.array(economy))
    )


def test_softmax_is_a_distribution() -> None:
    rng = np.random.default_rng()
    x = rng.normal(size=5) * 50
    p = softmax(x)
    assert p.min() >= 0 and p.sum() == pytest.approx(1.0)
    assert np.argmax(p) == np.argmax(x)


def test_diminishing_returns_make_states_hedge(model, monkeypatch) -> None:
    """Doubling one power's economic presence raises its utility by less than double."""
    state = model.states["KAZ"]
    rus, chn = model.power_index["RUS"], model.power_index["CHN"]
    monkeypatch.setattr(model, "ties", lambda iso3: np.zeros(3))
    state.alignment = np.full(3, 1 / 3)
    economy = np.zeros(3)
    economy[chn] = 2.0
    with_levels(model, monkeypatch, np.zeros(3), economy)
    gain_2 = state.utilities()[chn] - state.utilities()[rus]
    economy[chn] = 4.0
    gain_4 = state.utilities()[chn] - state.utilities()[rus]
    assert 0 < gain_4 < 2 * gain_2


def test_threat_pushes_toward_the_threats_rivals(model, monkeypatch) -> None:
    state = model.states["UZB"]
    usa, rus, chn = (model.power_index[p] for p in ("USA", "RUS", "CHN"))
    monkeypatch.setattr(model, "ties", lambda iso3: np.zeros(3))
    state.alignment = np.array([0.2, 0.2, 0.6])  # mostly aligned with USA: RUS is the threat
    security = np.zeros(3)
    with_levels(model, monkeypatch, security, np.zeros(3))
    calm = state.utilities()
    security[rus] = 3.0
    threatened = state.utilities()
    # the USA (no partnership with RUS) gains more than China (a partner of RUS)
    assert threatened[usa] - calm[usa] > threatened[chn] - calm[chn] > 0


def test_step_moves_a_fraction_of_the_way_and_stays_on_the_simplex(model, monkeypatch) -> None:
    state = model.states["TKM"]
    start = np.array([0.7, 0.2, 0.1])
    state.alignment = start.copy()
    with_levels(model, monkeypatch, np.ones(3), np.ones(3))
    target = softmax(state.utilities() / model.params.alignment.temperature)
    state.step()
    rate = model.params.alignment.rate
    np.testing.assert_allclose(state.alignment, (1 - rate) * start + rate * target)
    assert state.alignment.sum() == pytest.approx(1.0)


def test_state_outside_the_grid_keeps_its_alignment_until_membership_changes(model) -> None:
    finland = model.states["FIN"]
    assert not finland.in_grid
    start = model.initial_alignment["FIN"]
    finland.alignment = start.copy()
    finland.step()
    np.testing.assert_allclose(finland.alignment, start)
    model.memberships.join("NATO", "FIN", model.date, cause="test")
    finland.step()
    assert finland.alignment[model.power_index["USA"]] > start[model.power_index["USA"]]
    model.memberships.leave("NATO", "FIN", model.date, cause="test")
