"""OrganizationAgent: cohesion and membership rules with hysteresis."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.model import MultipolarModel


@pytest.fixture
def model() -> MultipolarModel:
    return MultipolarModel(backend="numpy", spinup_months=0)


def test_cohesion_is_the_followers_mean_alignment_with_the_leaders(model) -> None:
    csto = model.organizations["CSTO"]
    rus = model.power_index["RUS"]
    followers = csto.followers()
    assert {s.iso3 for s in followers} == {"ARM", "BLR", "KAZ", "KGZ", "TJK"}
    for i, state in enumerate(followers):
        state.alignment = np.eye(3)[rus] * 0.1 * (i + 1) + np.eye(3)[(rus + 1) % 3] * (
            1 - 0.1 * (i + 1)
        )
    csto.update_cohesion()
    assert csto.cohesion == pytest.approx(np.mean([0.1, 0.2, 0.3, 0.4, 0.5]))


def test_member_leaves_only_after_patience_below_threshold(model) -> None:
    csto = model.organizations["CSTO"]
    rules = csto.spec.rules
    kyrgyzstan = model.states["KGZ"]
    kyrgyzstan.alignment = np.array([0.0, 0.5, 0.5])  # no alignment with Russia
    for month in range(rules.patience_months - 1):
        assert csto.apply_rules(model.date) == []
        assert model.memberships.status("CSTO", "KGZ") == "active", month
    assert csto.apply_rules(model.date) == [("leave", "KGZ")]
    assert model.memberships.status("CSTO", "KGZ") is None


def test_hysteresis_between_join_and_leave_thresholds(model) -> None:
    csto = model.organizations["CSTO"]
    rules = csto.spec.rules
    rus = model.power_index["RUS"]
    middle = (rules.join_threshold + rules.leave_threshold) / 2
    for iso3 in ("KGZ", "UZB"):  # a member and a candidate
        a = np.full(3, (1 - middle) / 2)
        a[rus] = middle
        model.states[iso3].alignment = a
    for _ in range(3 * rules.patience_months):
        assert csto.apply_rules(model.date) == []
    assert model.memberships.status("CSTO", "KGZ") == "active"
    assert model.memberships.status("CSTO", "UZB") is None


def test_candidate_joins_after_patience_above_threshold(model) -> None:
    csto = model.organizations["CSTO"]
    rules = csto.spec.rules
    model.states["UZB"].alignment = np.eye(3)[model.power_index["RUS"]]
    changes = [csto.apply_rules(model.date) for _ in range(rules.patience_months)]
    assert changes[-1] == [("join", "UZB")] and all(c == [] for c in changes[:-1])


def test_non_candidate_never_joins_by_rule(model) -> None:
    csto = model.organizations["CSTO"]
    assert "MNG" not in csto.spec.rules.candidates
    model.states["MNG"].alignment = np.eye(3)[model.power_index["RUS"]]
    for _ in range(3 * csto.spec.rules.patience_months):
        csto.apply_rules(model.date)
    assert model.memberships.status("CSTO", "MNG") is None
