"""Who emits how much influence, where (DESIGN §5, mechanisms 1-3 and 6).

Each great power ``p`` has a monthly budget per domain,

    B[p, d] = share_d[p] * regional_weight[p] * effort[p, d] * shock[p, d]
              * (security only) treaty_factor[p] * (1 + response * threat[p] + boost[p])

where ``share_d`` is its share of the great powers' military expenditure (security) or GDP
(economy), ``threat`` the rivals' share of security influence over its own territory and
near abroad (the security dilemma), and ``boost`` the step-up after a rival organization
enlarged. The budget is emitted over the power's own territory in the grid, at its bases,
along its projects (whose return grows with the hosts' alignment: economic statecraft), and
through the organizations it leads, over their members' territory in proportion to their
GDP and scaled by the organization's cohesion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from multipolar.config import DOMAINS
from multipolar.sources import SourceBatch

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = ["budgets", "collect_sources", "security_threat"]

SECURITY, ECONOMY = 0, 1


def security_threat(model: MultipolarModel) -> np.ndarray:
    """Each power's rivals' share of the security influence over its sphere, in [0, 1]."""
    threat = np.zeros(len(model.powers))
    for i, power in enumerate(model.powers):
        sphere = (power, *model.params.powers[power].near_abroad)
        security = model.readings.totals(sphere)[:, SECURITY]
        total = security.sum()
        if total > 0:
            threat[i] = float(model.rivalry[i] @ security / total)
    return threat


def budgets(model: MultipolarModel) -> np.ndarray:
    """Monthly emission budget of each power in each domain: (n_powers, 2)."""
    params = model.params
    shares = model.capabilities.power_shares()
    threat = security_threat(model)
    out = np.zeros((len(model.powers), len(DOMAINS)))
    for i, power in enumerate(model.powers):
        spec = params.powers[power]
        for j, domain in enumerate(DOMAINS):
            out[i, j] = (
                shares[domain][i]
                * spec.regional_weight
                * spec.effort.get(domain, 0.0)
                * model.capabilities.shock[(power, domain)]
            )
        out[i, SECURITY] *= model.treaty_factor(power) * (
            1.0 + params.security_dilemma.response * threat[i] + model.boost[i]
        )
    return out


def collect_sources(model: MultipolarModel) -> SourceBatch:
    """This month's source densities from every emitter."""
    params = model.params
    budget = budgets(model)
    model.last_budgets = budget
    builder = model.layout.batch(model.n_channels)
    channel = model.channel_index
    for i, power in enumerate(model.powers):
        weight = params.powers[power].territory_weight
        for j in range(len(DOMAINS)):
            builder.territory(channel(power, j), power, budget[i, j] * weight)
    for base in params.bases:
        if base.id in model.active_bases:
            i = model.power_index[base.power]
            builder.base(
                channel(base.power, SECURITY), base.id, budget[i, SECURITY] * base.strength
            )
    for project in params.projects:
        corridor = model.layout.corridors.get(project.id)
        if project.id in model.active_projects and corridor is not None:
            i = model.power_index[project.power]
            j = DOMAINS.index(project.domain)
            hosts = sum(
                share * model.state(h).alignment[i]
                for h, share in corridor.hosts.items()
                if h in model.params.states
            )
            amount = (
                budget[i, j]
                * project.strength
                * (1.0 + params.statecraft.return_on_alignment * hosts)
            )
            builder.corridor(channel(project.power, j), project.id, amount)
    for org in model.organizations.values():
        members = [m for m in model.memberships.members(org.code) if model.layout.cells_of(m) > 0]
        if not members:
            continue
        gdp = np.array([model.capabilities.of(m)[0] for m in members])
        weights = gdp / gdp.sum()
        for power, share in org.leader_shares().items():
            i = model.power_index[power]
            for j, domain in enumerate(DOMAINS):
                amount = (
                    budget[i, j]
                    * org.spec.strength
                    * share
                    * org.spec.domains.get(domain, 0.0)
                    * org.cohesion
                    * (1.0 + model.boost[i])
                )
                for member, w in zip(members, weights, strict=True):
                    builder.territory(channel(power, j), member, amount * w)
    return builder.finish()
