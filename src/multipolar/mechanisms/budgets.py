"""Monthly budgets of the great powers (mechanisms 1-3): how much influence each emits.

A power's budget in a domain is its capacity there (military expenditure for security,
GDP for economy, constant US$ bn a year) times its regional weight, its effort in the
domain and what is left of any capacity shock, then

- security: times the restraint its arms-control treaties leave it, and times
  ``1 + response * threat + boost``, where ``threat`` is its rivals' share of the security
  influence over its sphere (its own territory and near abroad) and ``boost`` its step-up
  after a rival organization enlarged (the security dilemma, mechanism 2);
- economy: times ``1 + return_on_alignment * partners``, where ``partners`` is the mean
  alignment with the power of the states hosting its economic projects and links,
  weighted by the instruments' sizes (economic statecraft, mechanism 3).

Every function here is pure: arrays and a :class:`~multipolar.world.World` in, arrays out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from multipolar.world import World

__all__ = [
    "enlargement_boost",
    "monthly_budgets",
    "partner_alignment",
    "reference_budgets",
    "security_threat",
]

SECURITY, ECONOMY = 0, 1


def security_threat(rivalry: np.ndarray, sphere_security: np.ndarray) -> np.ndarray:
    """Each power's rivals' share of the security influence over its sphere, in [0, 1].

    Args:
        rivalry: (n, n) ``1 - partnership`` between the powers, 0 on the diagonal.
        sphere_security: (n, n) security influence of each power (columns) summed over each
            power's sphere (rows).
    """
    totals = sphere_security.sum(axis=1)
    weighted = (rivalry * sphere_security).sum(axis=1)
    return np.divide(weighted, totals, out=np.zeros_like(weighted), where=totals > 0)


def partner_alignment(
    world: World,
    alignments: Mapping[str, np.ndarray],
    project_hosts: Mapping[str, Mapping[str, float]],
    masses: Mapping[tuple[str, str], float],
) -> np.ndarray:
    """Size-weighted mean alignment with each power of the hosts of its economic instruments.

    Hosts are the states other than the great powers that a project's path crosses (by
    their share of its cells) or that a link reaches; the stretch of a corridor inside a
    great power's own territory does not count.

    Args:
        world: the world in force (active projects and links, their sizes).
        alignments: each state's alignment vector over the powers.
        project_hosts: for each project, the share of its path in each host state.
        masses: each site's mass, ``site_masses(world)``.
    """
    index = world.power_index
    num = np.zeros(len(index))
    den = np.zeros(len(index))
    for section in ("project", "link"):
        for site in world.sites(section):
            if site.domain != "economy":
                continue
            hosts = project_hosts.get(site.id, {}) if section == "project" else {site.state: 1.0}
            hosts = {
                h: w for h, w in hosts.items() if h in alignments and h not in world.params.powers
            }
            if not hosts:
                continue
            i = index[site.power]
            mass = masses[(section, site.id)]
            share = sum(hosts.values())
            num[i] += mass * sum(w * alignments[h][i] for h, w in hosts.items()) / share
            den[i] += mass
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def reference_budgets(world: World) -> np.ndarray:
    """Budgets at the scenario's data year, with the starting effort and nothing else.

    The fixed yardstick the readings are measured against: no growth, shock, threat,
    boost, treaty or statecraft term, so a change in any of them shows in the readings.
    """
    caps = world.capabilities.reference_capacity()
    powers = world.params.powers
    out = np.zeros((len(powers), 2))
    for i, spec in enumerate(world.params.powers.values()):
        for j, domain in enumerate(("security", "economy")):
            out[i, j] = caps[i, j] * spec.regional_weight * spec.effort.get(domain, 0.0)
    return out


def monthly_budgets(world: World, threat: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """Budget of each power in each domain this month: (n_powers, 2), constant US$ bn a year."""
    params = world.params
    capacity = world.capabilities.power_capacity()
    shock = world.capabilities.shock_factors()
    dilemma = params.security_dilemma
    out = np.zeros_like(capacity)
    for i, (power, spec) in enumerate(params.powers.items()):
        for j, domain in enumerate(("security", "economy")):
            out[i, j] = capacity[i, j] * spec.regional_weight * spec.effort.get(domain, 0.0)
        out[i] *= shock[i]
        out[i, SECURITY] *= world.treaty_factor(power) * (
            1.0 + dilemma.response * threat[i] + world.boost[i]
        )
        out[i, ECONOMY] *= 1.0 + params.statecraft.return_on_alignment * partners[i]
    return out


def enlargement_boost(world: World, organization: str) -> np.ndarray:
    """Step in each power's security effort when ``organization`` enlarges (mechanism 2).

    Powers outside the organization's lead step up by ``enlargement_response`` times their
    rivalry with its leaders (weighted by the leaders' shares); leaders do not.
    """
    leaders = world.params.organizations[organization].leaders
    total = sum(leaders.values())
    rivalry = world.rivalry_matrix()
    index = world.power_index
    response = world.params.security_dilemma.enlargement_response
    boost = np.zeros(len(index))
    for power, i in index.items():
        if power not in leaders:
            boost[i] = response * sum(w / total * rivalry[i, index[p]] for p, w in leaders.items())
    return boost
