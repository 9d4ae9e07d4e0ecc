"""OrganizationAgent: NATO, the CSTO, the SCO, the EAEU and any the scenario adds.

Cohesion is the members' mean alignment with the leaders (mechanism 6); the organization's
emission scales with it. Admission and exit follow rules with hysteresis: a member whose
alignment with the leaders stays below ``leave_threshold`` for ``patience_months`` leaves
(suspended members too); a candidate whose alignment stays above ``join_threshold`` for as
long joins. Suspending and resuming are political decisions the model takes from scheduled
events, never from the rules.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import mesa

from multipolar.config.schema import OrganizationSpec

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
        self._below: dict[str, int] = {}
        self._above: dict[str, int] = {}

    @property
    def spec(self) -> OrganizationSpec:
        """The organization's current parameters (events may change them)."""
        return self.model.params.organizations[self.code]

    @property
    def name(self) -> str:
        """Full name, e.g. 'Collective Security Treaty Organization'."""
        return self.spec.name

    def leader_shares(self) -> dict[str, float]:
        """Leaders and their shares of the organization's lead, summing to 1."""
        total = sum(self.spec.leaders.values())
        return {p: w / total for p, w in self.spec.leaders.items()}

    def alignment_with_leaders(self, state: StateAgent) -> float:
        """A state's total alignment with this organization's leaders, in [0, 1]."""
        return float(sum(state.alignment[self.model.power_index[p]] for p in self.spec.leaders))

    def followers(self, *, include_suspended: bool = False) -> list[StateAgent]:
        """Members that are not leaders."""
        codes = self.model.memberships.members(self.code, include_suspended=include_suspended)
        return [self.model.state(c) for c in codes if c not in self.spec.leaders]

    def update_cohesion(self) -> None:
        """Cohesion: the active followers' mean alignment with the leaders (1 with none)."""
        followers = self.followers()
        self.cohesion = (
            sum(self.alignment_with_leaders(s) for s in followers) / len(followers)
            if followers
            else 1.0
        )

    def apply_rules(self, date: dt.date) -> list[tuple[str, str]]:
        """Admit or drop members by the hysteresis rules; returns the (action, state) changes."""
        rules = self.spec.rules
        if not rules.enabled:
            return []
        table = self.model.memberships
        changes: list[tuple[str, str]] = []
        watched = {s.iso3 for s in self.followers(include_suspended=True)} | set(rules.candidates)
        for iso3 in sorted(watched - set(self.spec.leaders)):
            level = self.alignment_with_leaders(self.model.state(iso3))
            status = table.status(self.code, iso3)
            may_join = status is None and iso3 in rules.candidates
            # each counter runs only while its action is possible
            below = self._below[iso3] = (
                self._below.get(iso3, 0) + 1
                if status is not None and level < rules.leave_threshold
                else 0
            )
            above = self._above[iso3] = (
                self._above.get(iso3, 0) + 1 if may_join and level > rules.join_threshold else 0
            )
            if status is not None and below >= rules.patience_months:
                table.leave(self.code, iso3, date, cause="rule")
                changes.append(("leave", iso3))
            elif may_join and above >= rules.patience_months:
                table.join(self.code, iso3, date, cause="rule")
                changes.append(("join", iso3))
            else:
                continue
            self._below[iso3] = self._above[iso3] = 0
        return changes
