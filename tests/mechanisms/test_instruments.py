from collections import defaultdict

import numpy as np
import pytest

from multipolar.mechanisms.instruments import (
    allocate,
    imputed_sites,
    instrument_weights,
    instruments,
    site_masses,
)
from multipolar.world import World

GDP = {"RUS": 2000.0, "CHN": 18000.0, "KAZ": 200.0}


def _items(world, cohesion, present):
    return instruments(world, cohesion, present, GDP, site_masses(world))


def _totals(world, budgets, items):
    emitted = defaultdict(float)
    for item, amount in allocate(world, budgets, items):
        emitted[(item.power, item.domain)] += amount
    return emitted


def test_weights_sum_to_one_and_budgets_are_conserved(toy: World, everywhere):
    items = _items(toy, {"CSTO": 0.7}, everywhere)
    budgets = np.array([[10.0, 20.0], [30.0, 40.0]])
    emitted = _totals(toy, budgets, items)
    for i, power in enumerate(toy.powers):
        for j, domain in enumerate(("security", "economy")):
            assert emitted[(power, domain)] == pytest.approx(budgets[i, j])


def test_weights_by_hand(toy: World, everywhere):
    """RUS security: territory 1, base 1, CSTO 1 * 0.9 strength-mix * cohesion 0.5."""
    items = _items(toy, {"CSTO": 0.5}, everywhere)
    weights = dict(
        ((it.power, it.domain, it.kind), w)
        for it, w in zip(items, instrument_weights(toy, items), strict=True)
    )
    raw = {"territory": 1.0, "bases": 1.0, "organizations": 0.5}  # mass/kind mass = 1 each
    total = sum(raw.values())
    for kind, r in raw.items():
        assert weights[("RUS", "security", kind)] == pytest.approx(r / total)
    # CHN economy: territory and its one project, equal kind weights
    assert weights[("CHN", "economy", "projects")] == pytest.approx(0.5)


def test_cohesion_moves_budget_from_the_organization_to_other_instruments(toy, everywhere):
    def org_share(cohesion: float) -> float:
        items = _items(toy, {"CSTO": cohesion}, everywhere)
        weights = instrument_weights(toy, items)
        return sum(
            w
            for it, w in zip(items, weights, strict=True)
            if it.kind == "organizations" and it.domain == "security"
        )

    assert org_share(1.0) > org_share(0.5) > org_share(0.0) == 0.0


def test_cohesion_effect_zero_ignores_cohesion(make_toy, everywhere):
    world = World.at_start(make_toy(cohesion={"effect": 0.0}))
    a = instrument_weights(world, _items(world, {"CSTO": 1.0}, everywhere))
    b = instrument_weights(world, _items(world, {"CSTO": 0.2}, everywhere))
    assert a == pytest.approx(b)


def test_splitting_a_base_leaves_the_allocation_per_place_unchanged(make_toy, everywhere):
    whole = World.at_start(make_toy())
    base = whole.params.bases[0].model_dump()
    halves = []
    for n, size in enumerate((300.0, 700.0)):
        half = {**base, "id": f"rb{n}", "size": {**base["size"], "value": size}}
        halves.append(half)
    split = World.at_start(make_toy(bases=halves))
    budgets = np.array([[10.0, 20.0], [30.0, 40.0]])

    def at_bases(world):
        return sum(
            amount
            for it, amount in allocate(world, budgets, _items(world, {}, everywhere))
            if it.kind == "bases"
        )

    assert at_bases(split) == pytest.approx(at_bases(whole))
    assert _totals(split, budgets, _items(split, {}, everywhere)) == pytest.approx(
        _totals(whole, budgets, _items(whole, {}, everywhere))
    )


def test_absent_instruments_take_no_weight(toy: World):
    def no_base(section, key):
        return section != "base"

    items = _items(toy, {}, no_base)
    assert not any(it.kind == "bases" for it in items)
    emitted = _totals(toy, np.ones((2, 2)), items)
    assert emitted[("RUS", "security")] == pytest.approx(1.0)


def test_unsized_sites_take_the_median_and_garrisons_share_their_base(make_toy):
    base = make_toy().bases[0].model_dump()
    garrison = {**base, "id": "rb_garrison", "size": None, "part_of": "rb"}
    other = {**base, "id": "rb2", "lon": 75.0, "size": {**base["size"], "value": 3000.0}}
    unsized = {**base, "id": "rb3", "size": None}
    world = World.at_start(make_toy(bases=[base, garrison, other, unsized]))
    masses = site_masses(world)
    assert masses[("base", "rb")] == masses[("base", "rb_garrison")] == pytest.approx(500.0)
    assert masses[("base", "rb3")] == pytest.approx(2000.0)  # median of 1000 and 3000
    assert imputed_sites(world) == ["rb3"]
