import numpy as np
import pytest

from multipolar.mechanisms.budgets import (
    enlargement_boost,
    monthly_budgets,
    partner_alignment,
    reference_budgets,
    security_threat,
)
from multipolar.mechanisms.instruments import site_masses
from multipolar.world import World


def test_threat_is_the_rivals_weighted_share_of_the_sphere():
    rivalry = np.array([[0.0, 0.4], [0.4, 0.0]])
    sphere = np.array([[3.0, 1.0], [2.0, 2.0]])  # RUS sphere: RUS 3, CHN 1; CHN sphere: 2, 2
    threat = security_threat(rivalry, sphere)
    assert threat == pytest.approx([0.4 * 1 / 4, 0.4 * 2 / 4])
    assert security_threat(rivalry, np.zeros((2, 2))).tolist() == [0.0, 0.0]


def test_budgets_by_hand(toy: World):
    toy.boost[:] = [0.2, 0.0]
    threat = np.array([0.5, 0.1])
    partners = np.array([0.0, 0.3])
    budgets = monthly_budgets(toy, threat, partners)
    params = toy.params
    r, d = params.security_dilemma.response, params.statecraft.return_on_alignment
    mil_rus, gdp_rus = toy.capabilities.of("RUS")[1], toy.capabilities.of("RUS")[0]
    mil_chn, gdp_chn = toy.capabilities.of("CHN")[1], toy.capabilities.of("CHN")[0]
    assert budgets[0, 0] == pytest.approx(mil_rus * 1.0 * 0.6 * (1 + r * 0.5 + 0.2))
    assert budgets[0, 1] == pytest.approx(gdp_rus * 1.0 * 0.4 * (1 + d * 0.0))
    assert budgets[1, 0] == pytest.approx(mil_chn * 0.5 * 0.2 * (1 + r * 0.1))
    assert budgets[1, 1] == pytest.approx(gdp_chn * 0.5 * 0.8 * (1 + d * 0.3))


def test_capacity_shock_and_treaty_scale_the_security_budget(make_toy):
    world = World.at_start(
        make_toy(
            treaties={"CFE": {"name": "CFE", "parties": {"RUS": "in_force"}, "restraint": 0.1}}
        )
    )
    free = monthly_budgets(World.at_start(make_toy()), np.zeros(2), np.zeros(2))
    world.capabilities.apply_shock("RUS", "security", 0.5, 0.0)
    shocked = monthly_budgets(world, np.zeros(2), np.zeros(2))
    assert shocked[0, 0] == pytest.approx(free[0, 0] * 0.5 * 0.9)
    assert shocked[0, 1] == pytest.approx(free[0, 1])
    assert shocked[1] == pytest.approx(free[1])


def test_reference_budgets_ignore_shocks_and_boosts(toy: World):
    before = reference_budgets(toy)
    toy.capabilities.apply_shock("RUS", "security", 0.1, 0.0)
    toy.boost[:] = 5.0
    assert reference_budgets(toy) == pytest.approx(before)
    assert before[0, 0] == pytest.approx(100.0 * 1.0 * 0.6)
    assert before[1, 1] == pytest.approx(18000.0 * 0.5 * 0.8)


def test_partner_alignment_weighs_hosts_by_path_share(toy: World):
    alignments = {"KAZ": np.array([0.7, 0.3]), "RUS": np.array([1.0, 0.0])}
    partners = partner_alignment(toy, alignments, {"cp": {"KAZ": 0.5}}, site_masses(toy))
    assert partners == pytest.approx([0.0, 0.3])  # only CHN has an economic project
    assert partner_alignment(toy, alignments, {}, site_masses(toy)) == pytest.approx([0.0, 0.0])


def test_enlargement_boosts_rivals_of_the_leaders_only(toy: World):
    boost = enlargement_boost(toy, "CSTO")
    response = toy.params.security_dilemma.enlargement_response
    assert boost[0] == 0.0
    assert boost[1] == pytest.approx(response * (1 - 0.6))
