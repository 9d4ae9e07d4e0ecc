"""OrganizationAgent: cohesion (suspended members count) and rule-made membership changes."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.model import MultipolarModel


@pytest.fixture
def model() -> MultipolarModel:
    return MultipolarModel(backend="numpy", spinup_months=0, alignment__noise=0.0)


def test_cohesion_counts_suspended_followers_with_their_alignment(model) -> None:
    csto = model.organizations["CSTO"]
    rus = model.power_index["RUS"]
    followers = csto.followers()
    assert {s.iso3 for s in followers} == {"ARM", "BLR", "KAZ", "KGZ", "TJK"}
    levels = [0.1, 0.2, 0.3, 0.4, 0.5]
    for level, state in zip(levels, followers, strict=True):
        state.alignment = np.full(3, (1 - level) / 2)
        state.alignment[rus] = level
    model.memberships.suspend("CSTO", "ARM", model.date, cause="test")
    csto.update_cohesion()
    assert csto.cohesion == pytest.approx(np.mean(levels))


def test_rule_made_leave_is_recorded_with_its_cause(model) -> None:
    csto = model.organizations["CSTO"]
    rules = csto.spec.rules
    for _ in range(rules.patience_months):
        model.states["KGZ"].alignment = np.array([0.0, 0.5, 0.5])
        csto.step()
    assert model.memberships.status("CSTO", "KGZ") is None
    last = model.applied[-1]
    assert (last.kind, last.subject, last.detail, last.cause) == ("leave", "KGZ", "CSTO", "rule")


def test_rule_made_join_boosts_the_rivals_of_the_leaders(model) -> None:
    csto = model.organizations["CSTO"]
    before = model.world.boost.copy()
    for _ in range(csto.spec.rules.patience_months):
        model.states["UZB"].alignment = np.eye(3)[model.power_index["RUS"]]
        csto.step()
    assert model.memberships.status("CSTO", "UZB") == "active"
    gained = model.world.boost - before
    assert gained[model.power_index["RUS"]] == 0
    assert gained[model.power_index["USA"]] > 0


def test_host_evicts_the_base_of_a_power_it_turned_from(model) -> None:
    rules = model.params.base_rules
    assert "rus_kant" in model.world.active["base"]
    model.states["KGZ"].alignment = np.array([0.6, 0.2, 0.2])
    model._evict_bases()
    for _ in range(rules.patience_months):
        model.states["KGZ"].alignment = np.array([0.05, 0.5, 0.45])
        model._evict_bases()
    assert "rus_kant" not in model.world.active["base"]
    last = model.applied[-1]
    assert (last.kind, last.subject, last.cause) == ("base_close", "rus_kant", "rule")


def test_host_that_never_leaned_to_the_power_keeps_its_base(model) -> None:
    rules = model.params.base_rules
    for _ in range(3 * rules.patience_months):
        model.states["KGZ"].alignment = np.array([0.05, 0.5, 0.45])
        model._evict_bases()
    assert "rus_kant" in model.world.active["base"]


def test_garrisons_close_with_their_base_in_one_decision(model) -> None:
    garrisons = {b.id for b in model.world.sites("base") if b.part_of == "rus_201st"}
    assert garrisons and garrisons <= model.world.active["base"]
    recorded = len(model.applied)
    model.states["TJK"].alignment = np.array([0.8, 0.1, 0.1])
    model._evict_bases()
    for _ in range(model.params.base_rules.patience_months):
        model.states["TJK"].alignment = np.array([0.1, 0.5, 0.4])
        model._evict_bases()
    assert not ({"rus_201st"} | garrisons) & model.world.active["base"]
    closed = [a for a in model.applied[recorded:] if a.kind == "base_close"]
    assert [a.subject for a in closed] == ["rus_201st"]
