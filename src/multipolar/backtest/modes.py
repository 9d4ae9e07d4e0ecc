"""The backtest's two modes, as transformations of the resolved history scenario.

* ``scheduled``: a replay. Every membership and base change is a dated event and the
  organizations' admission and exit rules and the hosts' base-eviction rule are switched
  off, so the model reproduces the record of memberships and bases exactly.
* ``endogenous``: the changes listed as targets are removed from the schedule (membership
  events, and the closing dates of target bases) and left to the model's own rules;
  everything else stays scheduled. A scheduled event that only made sense after a removed
  one (Uzbekistan leaving EurAsEC at its dissolution, when its joining is left to the
  model) is removed with it: the scenario's history check names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from multipolar.backtest import arguments
from multipolar.backtest.data import Target
from multipolar.config import Problem, Scenario, ScenarioError, load_scenario
from multipolar.config.checks import check_scenario
from multipolar.config.history import check_history
from multipolar.config.schema import Event

__all__ = ["MODES", "Mode", "apply_mode", "is_target_event", "resolve_scenario"]

Mode = Literal["scheduled", "endogenous"]
MODES: tuple[Mode, ...] = arguments.MODES  # type: ignore[assignment]

# a scheduled event is the record of a target when it falls within this many days of it
_SAME_EVENT_DAYS = 31


def is_target_event(event: Event, target: Target) -> bool:
    """Whether a scheduled event makes the change a target asks the model to make itself."""
    if abs((event.date - target.date).days) > _SAME_EVENT_DAYS or not target.occurred:
        return False
    if target.change == "base_close":
        return event.kind == "base_close" and getattr(event, "base", "") == target.base
    return (
        event.kind == target.change
        and getattr(event, "organization", "") == target.organization
        and getattr(event, "state", "") == target.state
    )


def apply_mode(scenario: Scenario, mode: Mode, targets: Sequence[Target]) -> Scenario:
    """Return ``scenario`` transformed for ``mode`` (validated like a file)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    data = scenario.model_dump()
    if mode == "scheduled":
        for org in data["organizations"].values():
            org["rules"]["enabled"] = False
        if "base_rules" in data:
            data["base_rules"]["enabled"] = False
    else:
        data["events"] = [
            event.model_dump()
            for event in scenario.events
            if not any(is_target_event(event, t) for t in targets)
        ]
        closing = {t.base for t in targets if t.occurred and t.change == "base_close"}
        for base in data["bases"]:
            if base["id"] in closing:
                base["closed"] = None
    return _without_dependent_events(data, scenario.name)


def _without_dependent_events(data: dict, name: str) -> Scenario:
    """Validate, dropping membership events the history check finds orphaned."""
    while True:
        scenario = Scenario.model_validate(data)
        findings = check_scenario(scenario) or list(check_history(scenario))
        orphans = {
            key[1]
            for key, message in findings
            if len(key) >= 2 and key[0] == "events" and "is not a member" in message
        }
        if not orphans:
            break
        data["events"] = [e for n, e in enumerate(data["events"]) if n not in orphans]
    if findings:
        raise ScenarioError(Problem(name, ".".join(map(str, k)), m) for k, m in findings)
    return scenario


def resolve_scenario(
    path: str | Path, mode: Mode, targets: Sequence[Target], overrides: Sequence[str] = ()
) -> Scenario:
    """Load a history scenario file and transform it for ``mode``."""
    return apply_mode(load_scenario(path, overrides), mode, targets)
