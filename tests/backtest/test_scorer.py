"""The scorer on synthetic cases, against hand-made targets and changes."""

from __future__ import annotations

import datetime as dt

import pytest

from multipolar.backtest.data import Target
from multipolar.backtest.scorer import Change, brier, brier_skill, matches, score

D = dt.date


def _target(
    tid: str,
    change: str,
    date: dt.date,
    *,
    occurred: bool = True,
    state: str = "UZB",
    org: str = "CSTO",
    base: str = "",
    window_end: dt.date | None = None,
) -> Target:
    return Target(tid, change, state, org, base, date, occurred, window_end, "test")  # type: ignore[arg-type]


TARGETS = [
    _target("leave99", "leave", D(1999, 4, 20)),
    _target("join06", "join", D(2006, 6, 23)),
    _target("k2", "base_close", D(2005, 11, 21), state="", org="", base="usa_k2"),
    _target("suspend12", "suspend", D(2012, 6, 28)),
    _target("kgz15", "join", D(2015, 8, 6), state="KGZ", org="EAEU"),
    _target(
        "tkm_none", "join", D(2008, 1, 1), occurred=False, state="TKM", window_end=D(2024, 12, 31)
    ),
]

REAL = [
    Change(D(1999, 5, 1), "exit", "UZB", "CSTO"),
    Change(D(2006, 7, 1), "join", "UZB", "CSTO"),
    Change(D(2005, 12, 1), "exit", base="usa_k2"),
    Change(D(2012, 7, 1), "exit", "UZB", "CSTO"),
    Change(D(2015, 9, 1), "join", "KGZ", "EAEU"),
]


def test_exactly_the_real_changes_score_a_skill_of_one():
    card = score(TARGETS, [REAL, REAL, REAL])
    for period in card.periods.values():
        assert period.brier == 0.0
        assert period.brier_skill == pytest.approx(1.0)
    assert all(card.probabilities[t.id] == float(t.occurred) for t in TARGETS)


def test_no_changes_score_a_skill_of_zero():
    card = score(TARGETS, [[], []])
    for period in card.periods.values():
        assert period.brier == period.brier_reference > 0
        assert period.brier_skill == pytest.approx(0.0)


def test_a_change_30_months_off_is_missed_and_24_is_not():
    late = Change(D(2001, 10, 20), "exit", "UZB", "CSTO")  # 30 months after 1999-04-20
    assert not matches(late, TARGETS[0], 24)
    inside = Change(D(2001, 3, 20), "exit", "UZB", "CSTO")  # 23 months after
    assert matches(inside, TARGETS[0], 24)
    card = score(TARGETS, [[late]])
    assert card.probabilities["leave99"] == 0.0


def test_half_the_seeds_right_gives_probability_one_half():
    card = score(TARGETS, [REAL, []])
    assert card.probabilities["join06"] == 0.5
    assert 0.0 < card.periods["test"].brier_skill < 1.0


def test_breaking_a_non_change_and_false_changes_are_penalised():
    tkm = Change(D(2010, 1, 1), "join", "TKM", "CSTO")
    stray = Change(D(2011, 1, 1), "join", "MNG", "SCO")
    card = score(TARGETS, [[*REAL, tkm, stray]])
    assert card.probabilities["tkm_none"] == 1.0
    test = card.periods["test"]
    assert test.brier > 0 and test.brier_skill < 1.0
    assert test.false_changes_per_seed == 1.0  # the MNG join; the TKM join is a target's
    assert [row["state"] for row in card.false_changes] == ["MNG"]


def test_scheduled_changes_are_never_false():
    stray = Change(D(2011, 1, 1), "join", "MNG", "SCO", cause="event")
    assert score(TARGETS, [[*REAL, stray]]).false_changes == []


def test_a_rule_made_change_of_the_documented_record_is_not_false_unless_far_off():
    record = [Change(D(1999, 4, 2), "exit", "GEO", "CSTO", cause="event")]
    early = Change(D(1999, 1, 1), "exit", "GEO", "CSTO")
    assert score(TARGETS, [[*REAL, early]], record=record).false_changes == []
    far = Change(D(1996, 1, 1), "exit", "GEO", "CSTO")  # 39 months before the record's
    card = score(TARGETS, [[*REAL, far]], record=record)
    assert [row["state"] for row in card.false_changes] == ["GEO"]
    other = Change(D(1999, 1, 1), "exit", "AZE", "CSTO")  # not in the record
    assert len(score(TARGETS, [[*REAL, other]], record=record).false_changes) == 1


def test_the_record_of_the_endogenous_history_holds_the_non_target_exits():
    from multipolar.backtest.changes import scheduled_record
    from multipolar.backtest.data import load_history
    from multipolar.backtest.modes import resolve_scenario

    history = load_history()
    scenario = resolve_scenario("history_1992_2024.toml", "endogenous", history.targets, [])
    keys = {(c.kind, c.state, c.organization, c.base) for c in scheduled_record(scenario)}
    assert ("exit", "GEO", "CSTO", "") in keys
    targets = [t for t in history.targets if t.occurred]
    assert not any(matches(c, t, 24) for c in scheduled_record(scenario) for t in targets)


def test_a_join_does_not_match_an_exit_target():
    assert not matches(Change(D(1999, 4, 20), "join", "UZB", "CSTO"), TARGETS[0], 24)
    assert not matches(Change(D(1999, 4, 20), "exit", "UZB", "SCO"), TARGETS[0], 24)


def test_brier_and_skill_by_hand():
    assert brier([0.5, 1.0], [1, 0]) == pytest.approx((0.25 + 1.0) / 2)
    assert brier_skill([0.5, 0.0], [1, 0]) == pytest.approx(1 - 0.125 / 0.5)
    assert brier_skill([0.3], [0]) is None
