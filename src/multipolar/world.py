"""The state of the world in force: what the mechanisms read and the events change.

A :class:`World` holds everything about a run that is not an agent's own state or a field:
the parameters in force (events may change them), the date, capabilities and their shocks,
memberships, treaty statuses, the active bases, projects and links, the partnerships
between the powers (which move, mechanism 5) and the powers' enlargement boosts
(mechanism 2). The mechanisms in :mod:`multipolar.mechanisms` are functions of a World and
this month's readings; the Mesa model only runs them in order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from multipolar.capabilities import Capabilities
from multipolar.config import Scenario
from multipolar.mechanisms.organizations import EvictionCounter
from multipolar.memberships import MembershipTable

__all__ = ["SITE_SECTIONS", "World"]

SITE_SECTIONS: tuple[str, ...] = ("base", "project", "link")
_RESTRAINT = {"in_force": "restraint", "suspended": "suspended_restraint"}


def _sites(scenario: Scenario, section: str) -> tuple:
    return {"base": scenario.bases, "project": scenario.projects, "link": scenario.links}[section]


@dataclass
class World:
    """Parameters in force and the political state of a run at one date."""

    params: Scenario
    date: dt.date
    capabilities: Capabilities
    memberships: MembershipTable = field(default_factory=MembershipTable)
    treaty_status: dict[tuple[str, str], str] = field(default_factory=dict)
    active: dict[str, set[str]] = field(default_factory=dict)
    partnership: dict[str, float] = field(default_factory=dict)
    boost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    affinity: dict[str, np.ndarray] = field(default_factory=dict)
    affinity_decay: dict[str, np.ndarray] = field(default_factory=dict)
    eviction_counters: dict[str, EvictionCounter] = field(default_factory=dict)
    backing: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def at_start(cls, scenario: Scenario) -> World:
        """The world on the scenario's start date, before any event of that date."""
        start = scenario.run.start
        capabilities = Capabilities(scenario)
        capabilities.update(start, scenario.capability.growth_scale)
        world = cls(scenario, start, capabilities)
        for code, org in scenario.organizations.items():
            for iso3, joined in sorted(org.members.items(), key=lambda kv: kv[1]):
                world.memberships.join(code, iso3, joined, cause="initial")
        world.treaty_status = {
            (t, p): s for t, treaty in scenario.treaties.items() for p, s in treaty.parties.items()
        }
        world.active = {
            section: {
                site.id
                for site in _sites(scenario, section)
                if site.opened <= start and (site.closed is None or site.closed > start)
            }
            for section in SITE_SECTIONS
        }
        world.partnership = dict(scenario.partnership)
        world.boost = np.zeros(len(scenario.powers))
        return world

    @property
    def powers(self) -> list[str]:
        """The great powers, in channel order."""
        return list(self.params.powers)

    @property
    def power_index(self) -> dict[str, int]:
        """Position of each great power in the per-power arrays."""
        return {p: i for i, p in enumerate(self.params.powers)}

    def sites(self, section: str) -> list:
        """The active bases, projects or links (``section`` is base, project or link)."""
        return [s for s in _sites(self.params, section) if s.id in self.active[section]]

    def add_affinity(self, state: str, power: str, delta: float, half_life: float) -> None:
        """Shift a state's utility for a power by ``delta``, fading with ``half_life`` months.

        Shifts of one state and power with different half-lives add up; each fades at the
        rate of the latest one.
        """
        n = len(self.params.powers)
        shift = self.affinity.setdefault(state, np.zeros(n))
        decay = self.affinity_decay.setdefault(state, np.ones(n))
        i = self.power_index[power]
        shift[i] += delta
        decay[i] = 0.5 ** (1.0 / half_life)

    def fade_affinities(self) -> None:
        """One month of fading of the political shocks' utility shifts."""
        for state, shift in self.affinity.items():
            shift *= self.affinity_decay[state]

    def affinity_of(self, state: str) -> np.ndarray:
        """A state's current utility shift for each power from political shocks."""
        return self.affinity.get(state, np.zeros(len(self.params.powers)))

    def adversaries(self, iso3: str) -> list[str]:
        """The states in a conflict with ``iso3`` on the current date."""
        return [
            other
            for conflict in self.params.conflicts
            if iso3 in conflict.states
            and conflict.start <= self.date
            and (conflict.end is None or self.date < conflict.end)
            for other in conflict.states
            if other != iso3
        ]

    def back_adversaries(self, alignments: dict[str, np.ndarray]) -> None:
        """Record, for each state, its adversaries' mean alignment (``A`` of §7.4)."""
        self.backing = {
            iso3: np.mean([alignments[j] for j in opponents], axis=0)
            for iso3 in alignments
            if (opponents := [j for j in self.adversaries(iso3) if j in alignments])
        }

    def backing_of(self, iso3: str) -> np.ndarray:
        """How much each power backs ``iso3``'s adversaries (0 for a state in no conflict)."""
        return self.backing.get(iso3, np.zeros(len(self.params.powers)))

    def partnership_of(self, a: str, b: str) -> float:
        """Partnership between two powers in [0, 1] (0 for a pair the scenario does not list)."""
        return self.partnership.get(f"{a}-{b}", self.partnership.get(f"{b}-{a}", 0.0))

    def rivalry_matrix(self) -> np.ndarray:
        """``1 - partnership`` between the powers, 0 on the diagonal."""
        powers = self.powers
        n = len(powers)
        return np.array(
            [
                [
                    0.0 if i == j else 1.0 - self.partnership_of(powers[i], powers[j])
                    for j in range(n)
                ]
                for i in range(n)
            ]
        )

    def ties(self, iso3: str) -> np.ndarray:
        """Institutional pull of a state toward each power, from its memberships.

        An active membership pulls toward the organization's leaders by their shares of its
        lead; a suspended one pushes away from them, ``alignment.suspended_penalty`` times
        as hard (a member whose organization failed it turns away: Armenia and the CSTO).
        """
        ties = np.zeros(len(self.params.powers))
        index = self.power_index
        penalty = self.params.alignment.suspended_penalty
        for (code, state), status in self.memberships.rows():
            if state != iso3:
                continue
            sign = 1.0 if status == "active" else -penalty
            leaders = self.params.organizations[code].leaders
            total = sum(leaders.values())
            for power, weight in leaders.items():
                ties[index[power]] += sign * weight / total
        return ties

    def treaty_factor(self, power: str) -> float:
        """Security effort left to a power by the arms-control treaties binding it."""
        factor = 1.0
        for (code, party), status in self.treaty_status.items():
            if party == power and status in _RESTRAINT:
                factor *= 1.0 - getattr(self.params.treaties[code], _RESTRAINT[status])
        return factor
