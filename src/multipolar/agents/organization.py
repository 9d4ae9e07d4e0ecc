"""OrganizationAgent: NATO, the CSTO, the SCO, the EAEU and any the scenario adds.

Each month it updates its cohesion and applies its membership rules, the pure functions of
:mod:`multipolar.mechanisms.organizations` (mechanism 6). Suspending and resuming are
political decisions the model takes from scheduled events, never from the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from multipolar.config.schema import OrganizationSpec
from multipolar.mechanisms.budgets import enlargement_boost
from multipolar.mechanisms.organizations import RuleCounters, cohesion, rule_decision

if TYPE_CHECKING:
    from multipolar.agents.state import StateAgent
    from multipolar.model import MultipolarModel

__all__ = ["OrganizationAgent"]


class OrganizationAgent(mesa.Agent):
    """An organization with leaders, a domain mix, a cohesion and membership rules."""

    model: MultipolarModel

    def __init__(self, model: MultipolarModel, code: str) -> None:
        super().__init__(model)
        self.code = code
        self.cohesion = 1.0
        self.counters: dict[str, RuleCounters] = {}

    @property
    def spec(self) -> OrganizationSpec:
        """The organization's current parameters (events may change them)."""
        return self.model.world.params.organizations[self.code]

    @property
    def name(self) -> str:
        """Full name, e.g. 'Collective Security Treaty Organization'."""
        return self.spec.name

    def alignment_with_leaders(self, state: StateAgent) -> float:
        """A state's total alignment with this organization's leaders, in [0, 1]."""
        index = self.model.world.power_index
        return float(sum(state.alignment[index[p]] for p in self.spec.leaders))

    def followers(self) -> list[StateAgent]:
        """Members that are not leaders, suspended ones included."""
        codes = self.model.world.memberships.members(self.code, include_suspended=True)
        return [self.model.states[c] for c in codes if c not in self.spec.leaders]

    def update_cohesion(self) -> None:
        """Cohesion: the followers' mean alignment with the leaders."""
        self.cohesion = cohesion([self.alignment_with_leaders(s) for s in self.followers()])

    def step(self) -> None:
        """Update the cohesion, then admit or drop members by the rules."""
        self.update_cohesion()
        rules = self.spec.rules
        if not rules.enabled:
            return
        world = self.model.world
        watched = {s.iso3 for s in self.followers()} | set(rules.candidates)
        for iso3 in sorted(watched - set(self.spec.leaders)):
            action, self.counters[iso3] = rule_decision(
                world.memberships.status(self.code, iso3),
                self.alignment_with_leaders(self.model.states[iso3]),
                iso3 in rules.candidates,
                self.counters.get(iso3, RuleCounters()),
                rules,
            )
            if action == "leave":
                world.memberships.leave(self.code, iso3, world.date, cause="rule")
            elif action == "join":
                world.memberships.join(self.code, iso3, world.date, cause="rule")
                world.boost += enlargement_boost(world, self.code)
            if action is not None:
                self.model.record(action, iso3, self.code, "rule")
