"""The channel layout of the influence fields, worked out once per run.

Channel ``k`` carries one (power, domain) pair, power-major: ``RUS.security``,
``RUS.economy``, ``CHN.security``, ... Each channel diffuses with its domain's diffusivity,
turned from degrees² per month into cells² per month at the run's resolution, and decays at
its domain's rate, with the scheme and substeps per month the scenario asks for (substeps
set by stability for the explicit scheme, by accuracy for the implicit one). Everything
that needs the layout (the field, the emissions, the outputs,
the browser view) reads it from one :class:`ChannelPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multipolar.config import DOMAINS, Scenario
from multipolar.config.checks import substeps_for

__all__ = ["ChannelPlan"]


@dataclass(frozen=True)
class ChannelPlan:
    """Names, order and diffusion constants of the field channels of one scenario."""

    powers: tuple[str, ...]
    domains: tuple[str, ...]
    diffusivity_cells: np.ndarray  # (K,) cells² per month
    decay: np.ndarray  # (K,) per month
    substeps: int
    scheme: str = "explicit"

    @classmethod
    def of(cls, scenario: Scenario) -> ChannelPlan:
        """The plan of a scenario: its powers × the two domains."""
        powers = tuple(scenario.powers)
        res2 = scenario.geography.resolution**2
        spec = scenario.diffusion
        diffusivity = [getattr(spec, d).diffusivity / res2 for _ in powers for d in DOMAINS]
        decay = [getattr(spec, d).decay for _ in powers for d in DOMAINS]
        return cls(
            powers,
            DOMAINS,
            np.array(diffusivity),
            np.array(decay),
            int(substeps_for(scenario)),
            spec.scheme,
        )

    @property
    def names(self) -> list[str]:
        """Channel labels in kernel order, e.g. ``RUS.security``."""
        return [f"{p}.{d}" for p in self.powers for d in self.domains]

    @property
    def n_channels(self) -> int:
        """Number of channels K."""
        return len(self.powers) * len(self.domains)

    def index(self, power: str, domain: str | int) -> int:
        """Kernel channel of a (power, domain name or index) pair."""
        d = domain if isinstance(domain, int) else self.domains.index(domain)
        return self.powers.index(power) * len(self.domains) + d

    def domain_decay(self, domain: str) -> float:
        """Decay rate (per month) of a domain's channels."""
        return float(self.decay[self.domains.index(domain)])
