"""Shifting capabilities (mechanism 1): GDP grows at sourced rates, military spending follows it.

Each state's GDP grows from its reference year at its sourced real ``gdp_growth`` (held
flat when the scenario gives none), so capabilities are in constant US$ of the reference
year; military expenditure keeps its reference-year share of GDP.
A state without a sourced military figure takes the median share of the states that have
one, a derived value recorded in the manifest. Capacity shocks (the war in Ukraine draining
Russia's security capacity, say) multiply a power's capacity in one domain and recover at
their own rate.
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import median

import numpy as np

from multipolar.config import DOMAINS, Scenario
from multipolar.timeline import decimal_year

__all__ = ["Capabilities"]


class Capabilities:
    """Capacities of every state over time, and capability shares among the great powers."""

    def __init__(self, scenario: Scenario) -> None:
        self.codes: list[str] = list(scenario.states)
        self.powers: list[str] = list(scenario.powers)
        states = scenario.states.values()
        self._gdp0 = np.array([s.gdp.value for s in states])
        self._year0 = np.array([s.gdp.year + 0.5 for s in states])
        self._growth = np.array([s.gdp_growth.value if s.gdp_growth else 0.0 for s in states])
        ratios = [
            s.military_expenditure.value / s.gdp.value
            for s in states
            if s.military_expenditure is not None and s.gdp.value > 0
        ]
        self.imputed_military_share: float = median(ratios) if ratios else 0.0
        self._military_ratio = np.array(
            [
                s.military_expenditure.value / s.gdp.value
                if s.military_expenditure is not None and s.gdp.value > 0
                else self.imputed_military_share
                for s in states
            ]
        )
        self.shock: dict[tuple[str, str], float] = {
            (p, d): 1.0 for p in self.powers for d in DOMAINS
        }
        self._recovery: dict[tuple[str, str], float] = {}
        self._power_index = [self.codes.index(p) for p in self.powers]
        self.gdp = self._gdp0.copy()
        self.military = self.gdp * self._military_ratio

    def update(self, date: dt.date, growth_scale: float = 1.0) -> None:
        """Set GDP and military expenditure for ``date`` (constant US$ bn of the data year).

        ``growth_scale`` multiplies every growth rate (0 freezes capabilities: mechanism 1 off).
        """
        years = decimal_year(date) - self._year0
        self.gdp = self._gdp0 * np.power(1.0 + growth_scale * self._growth, years)
        self.military = self.gdp * self._military_ratio

    def apply_shock(self, power: str, domain: str, factor: float, recovery_per_year: float) -> None:
        """Multiply a power's capacity in one domain by ``factor``; it recovers toward 1."""
        self.shock[(power, domain)] *= factor
        self._recovery[(power, domain)] = recovery_per_year

    def recover_month(self) -> None:
        """One month of recovery: each shock closes ``1 - exp(-rate / 12)`` of its gap to 1."""
        for key, rate in self._recovery.items():
            self.shock[key] = 1.0 + (self.shock[key] - 1.0) * math.exp(-rate / 12.0)

    def power_capacity(self) -> np.ndarray:
        """Each great power's (military expenditure, GDP) now, US$ bn: (n_powers, 2)."""
        idx = self._power_index
        return np.stack([self.military[idx], self.gdp[idx]], axis=1)

    def reference_capacity(self) -> np.ndarray:
        """Each great power's (military expenditure, GDP) in its data year: (n_powers, 2)."""
        idx = self._power_index
        return np.stack([self._gdp0[idx] * self._military_ratio[idx], self._gdp0[idx]], axis=1)

    def shock_factors(self) -> np.ndarray:
        """Each great power's remaining capacity-shock factor per domain: (n_powers, 2)."""
        return np.array([[self.shock[(p, d)] for d in DOMAINS] for p in self.powers])

    def power_shares(self) -> dict[str, np.ndarray]:
        """Each great power's share of the great powers' GDP and military expenditure."""
        gdp = self.gdp[self._power_index]
        mil = self.military[self._power_index]
        return {"economy": gdp / gdp.sum(), "security": mil / mil.sum()}

    def capability_shares(self, military_weight: float) -> np.ndarray:
        """Composite capability share of each great power (sums to 1)."""
        shares = self.power_shares()
        return military_weight * shares["security"] + (1.0 - military_weight) * shares["economy"]

    def of(self, iso3: str) -> tuple[float, float]:
        """Current (GDP, military expenditure) of one state."""
        i = self.codes.index(iso3)
        return float(self.gdp[i]), float(self.military[i])
