import numpy as np
import pytest

from multipolar.config.schema import AlignmentSpec
from multipolar.mechanisms.alignment import (
    exogenous_utilities,
    institutions,
    move,
    next_shock,
    response,
    softmax,
    utilities,
)


def test_response_has_diminishing_returns_only_with_hedging():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    hedged = response(x, saturation=1.0, hedging=1.0)
    assert hedged == pytest.approx(np.log1p(x))
    assert np.all(np.diff(np.diff(hedged)) < 0)
    assert response(x, saturation=1.0, hedging=0.0) == pytest.approx(x)


def test_utilities_by_hand():
    params = AlignmentSpec(threat_weight=0.3, institution_weight=0.5, hedging=1.0, saturation=1.0)
    security = np.array([2.0, 1.0, 0.0])
    economy = np.array([0.5, 3.0, 1.0])
    rivalry = np.array([[0.0, 0.4, 1.0], [0.4, 0.0, 0.9], [1.0, 0.9, 0.0]])
    ties = np.array([1.0, 0.6, 0.0])
    u = utilities(security, economy, rivalry, ties, (0.5, 0.5), params)
    f_s, f_e = np.log1p(security), np.log1p(economy)
    expected = 0.5 * f_s + 0.5 * f_e + 0.3 * rivalry @ f_s + 0.5 * np.log1p(ties)
    assert u == pytest.approx(expected)
    # the third power gains from the first power's presence though the state does not lean to it
    assert (0.3 * rivalry @ f_s)[2] == pytest.approx(0.3 * (f_s[0] + 0.9 * f_s[1]))


def test_presence_threatens_whatever_the_alignment():
    """Raising one power's security presence raises its rivals' utilities by threat_weight."""
    params = AlignmentSpec(threat_weight=0.3, hedging=0.0)
    rivalry = 1.0 - np.eye(3)
    args = (np.zeros(3), rivalry, np.zeros(3), (0.5, 0.5), params)
    low = utilities(np.array([1.0, 0.0, 0.0]), *args)
    high = utilities(np.array([2.0, 0.0, 0.0]), *args)
    assert (high - low) == pytest.approx([0.5, 0.3, 0.3])


def test_move_stays_on_the_simplex_and_closes_rate_of_the_gap():
    params = AlignmentSpec(rate=0.1, temperature=0.5)
    a = np.array([0.6, 0.3, 0.1])
    u = np.array([0.0, 1.0, 0.0])
    moved = move(a, u, params)
    assert moved.sum() == pytest.approx(1.0)
    assert moved == pytest.approx(0.9 * a + 0.1 * softmax(u / 0.5))


def test_shock_is_ar1_with_the_stated_spread():
    rng = np.random.default_rng(0)
    eps = np.zeros(20000)
    for _ in range(200):
        eps = next_shock(eps, rng.standard_normal(eps.shape), noise=0.2, persistence=0.9)
    assert eps.std() == pytest.approx(0.2, rel=0.05)
    again = next_shock(eps, np.zeros_like(eps), noise=0.2, persistence=0.9)
    assert again == pytest.approx(0.9 * eps)


def test_exogenous_state_keeps_its_start_until_its_ties_change():
    params = AlignmentSpec(temperature=0.7, institution_weight=0.5)
    start = np.array([0.7, 0.15, 0.15])
    ties = np.array([0.0, 0.0, 0.0])
    u = exogenous_utilities(start, ties, ties, params)
    assert softmax(u / params.temperature) == pytest.approx(start)
    joined = exogenous_utilities(start, np.array([1.0, 0.0, 0.0]), ties, params)
    assert softmax(joined / params.temperature)[0] > start[0]


def test_an_adversarys_patron_protects_less_and_then_repels():
    params = AlignmentSpec(adversary_weight=1.0, threat_weight=0.0, institution_weight=0.0)
    security = np.array([1.0, 0.0, 3.0])
    economy = np.zeros(3)
    rivalry = np.zeros((3, 3))
    ties = np.zeros(3)
    alone = utilities(security, economy, rivalry, ties, (0.8, 0.5), params)
    backing = np.array([0.0, 0.1, 0.9])  # the adversary leans to the third power
    torn = utilities(security, economy, rivalry, ties, (0.8, 0.5), params, backing)
    f_sec = np.log1p(security)
    assert torn - alone == pytest.approx(-params.adversary_weight * backing * f_sec)
    assert torn[0] == alone[0]  # a power that backs no adversary keeps its appeal
    assert torn[2] < 0 < alone[2]  # 0.9 > n_sec = 0.8: the adversary's patron repels
    off = AlignmentSpec(adversary_weight=0.0, threat_weight=0.0, institution_weight=0.0)
    assert utilities(security, economy, rivalry, ties, (0.8, 0.5), off, backing) == pytest.approx(
        alone
    )


def test_institutions_have_diminishing_returns_and_keep_their_sign():
    params = AlignmentSpec(hedging=1.0, saturation=1.0)
    ties = np.array([-1.0, 0.0, 1.0, 2.0, 3.0])
    pull = institutions(ties, params)
    assert pull == pytest.approx(np.sign(ties) * np.log1p(np.abs(ties)))
    assert pull[0] == -pull[2]  # a suspension pushes as hard as a membership pulls
    assert pull[4] - pull[3] < pull[3] - pull[2] < pull[2] - pull[1]  # each tie adds less
    linear = AlignmentSpec(hedging=0.0)
    assert institutions(ties, linear) == pytest.approx(ties)
