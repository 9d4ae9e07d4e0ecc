"""The two modes, read from the resolved scenario."""

from __future__ import annotations

import pytest

from multipolar.backtest.data import load_history
from multipolar.backtest.modes import is_target_event, resolve_scenario

SCENARIO = "history_1992_2024.toml"


@pytest.fixture(scope="module")
def history():
    return load_history()


def test_endogenous_mode_schedules_none_of_the_target_changes(history):
    scenario = resolve_scenario(SCENARIO, "endogenous", history.targets)
    changes = [t for t in history.targets if t.occurred]
    for event in scenario.events:
        assert not any(is_target_event(event, t) for t in changes), event
    bases = {b.id: b for b in scenario.bases}
    for t in changes:
        if t.change == "base_close":
            assert bases[t.base].closed is None
    assert any(o.rules.enabled for o in scenario.organizations.values())


def test_endogenous_mode_keeps_everything_else(history):
    full = resolve_scenario(SCENARIO, "scheduled", history.targets)
    endo = resolve_scenario(SCENARIO, "endogenous", history.targets)
    changes = [t for t in history.targets if t.occurred and t.change != "base_close"]
    kept = [e.model_dump() for e in endo.events]
    removed = [e for e in full.events if e.model_dump() not in kept]
    assert len(full.events) - len(endo.events) == len(removed)
    pairs = {(t.state, t.organization) for t in changes}
    for event in removed:
        # a target itself, or an exit that only follows from a target left to the model
        assert any(is_target_event(event, t) for t in changes) or (
            event.kind == "leave" and (event.state, event.organization) in pairs
        ), event
    assert sum(any(is_target_event(e, t) for t in changes) for e in removed) == len(changes)
    assert any(
        e.kind == "join" and e.state == "ARM" and e.organization == "EAEU" for e in endo.events
    )


def test_scheduled_mode_schedules_every_target_and_switches_rules_off(history):
    scenario = resolve_scenario(SCENARIO, "scheduled", history.targets)
    for t in history.targets:
        if not t.occurred:
            continue
        if t.change == "base_close":
            assert next(b for b in scenario.bases if b.id == t.base).closed == t.date
        else:
            assert any(is_target_event(e, t) for e in scenario.events), t.id
    assert not any(o.rules.enabled for o in scenario.organizations.values())
    assert not scenario.base_rules.enabled
