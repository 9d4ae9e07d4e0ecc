"""Where a power's budget goes: its instruments and their shares (budgets are conserved).

A power's monthly budget ``B[p, d]`` in a domain is shared out over its active instruments
``i`` (its own territory in the grid, each base, each project, each organization it leads,
each link) by weights that sum to 1:

    r_i = W[p, d, kind(i)] * m_i / sum_{j of the same kind} m_j * c_i
    w_i = r_i / sum_j r_j                      (over the power's instruments in domain d)

``W`` is the scenario's weight of each kind of instrument (``powers.<P>.instruments``),
``m_i`` the instrument's mass within its kind (a site's sourced ``size``: troops, US$
invested; an organization's lead share times its domain mix times its strength), and
``c_i = 1 - cohesion.effect * (1 - cohesion)`` for an organization (1 for the rest), so a
divided organization carries less of its leaders' budgets and their other instruments more
(mechanism 6). Adding a record never adds influence: splitting a base into two records at
the same place whose sizes sum to the original leaves every weight, and so every output,
unchanged. Instruments with no cells in the grid are left out before the weights are formed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import median

import numpy as np

from multipolar.world import SITE_SECTIONS, World

__all__ = [
    "Instrument",
    "allocate",
    "imputed_sites",
    "instrument_weights",
    "instruments",
    "site_masses",
]

KIND_OF_SECTION = {"base": "bases", "project": "projects", "link": "links"}
Present = Callable[[str, str], bool]


@dataclass(frozen=True)
class Instrument:
    """One channel of a power's influence in one domain.

    ``targets`` lists the states it spreads over, with their shares (territory, links,
    organizations); bases and projects are placed on their own cells instead.
    """

    power: str
    domain: str
    kind: str
    key: str
    mass: float
    factor: float = 1.0
    targets: tuple[tuple[str, float], ...] = ()


def _domain_of(section: str, site: object) -> str:
    return "security" if section == "base" else str(site.domain)


def _place(section: str, site: object) -> object:
    if section == "base":
        return (site.lon, site.lat)
    if section == "project":
        return site.path
    return site.state


def site_masses(world: World) -> dict[tuple[str, str], float]:
    """Each site's mass: its sourced size, else the median of its kind, else 1.

    The median is over the sourced sizes of the power's sites of the same kind and domain;
    the run's manifest lists the imputed sites.

    For the median, the records at one place (a base's coordinates, a project's path, a
    link's state) count as one site with their sizes summed, so splitting a record does not
    move the median.

    A base that is ``part_of`` another shares that base's size evenly with its other
    active records, so garrisons reported together are not counted twice and the troops of a
    closed garrison stay with the base.
    """
    params = world.params
    all_sites = {"base": params.bases, "project": params.projects, "link": params.links}
    at_place: dict[tuple[str, str, str], dict[object, float]] = defaultdict(
        lambda: defaultdict(float)
    )
    for section, sites in all_sites.items():
        for site in sites:
            if site.size is not None:
                key = (section, site.power, _domain_of(section, site))
                at_place[key][_place(section, site)] += site.size.value
    sizes = {key: list(places.values()) for key, places in at_place.items()}
    groups: dict[str, list[str]] = defaultdict(list)
    for base in params.bases:
        groups[base.part_of or base.id].append(base.id)
    by_id = {base.id: base for base in params.bases}
    masses: dict[tuple[str, str], float] = {}
    for section, sites in all_sites.items():
        for site in sites:
            group = getattr(site, "part_of", None)
            own = by_id[group] if group in by_id else site
            key = (section, site.power, _domain_of(section, site))
            size = own.size.value if own.size is not None else median(sizes.get(key, [1.0]))
            members = groups.get(own.id, [own.id]) if section == "base" else [site.id]
            active = [m for m in members if m in world.active.get(section, ())]
            masses[(section, site.id)] = size / len(active or members)
    return masses


def imputed_sites(world: World) -> list[str]:
    """Sites whose size is not sourced and takes the median of their kind."""
    by_id = {base.id: base for base in world.params.bases}
    out = []
    for site in (*world.params.bases, *world.params.projects, *world.params.links):
        owner = by_id.get(getattr(site, "part_of", None) or "", site)
        if owner.size is None:
            out.append(site.id)
    return out


def instruments(
    world: World,
    cohesion: Mapping[str, float],
    present: Present,
    gdp: Mapping[str, float],
    masses: Mapping[tuple[str, str], float],
) -> list[Instrument]:
    """Every active instrument of every power in both domains.

    Args:
        world: the world in force.
        cohesion: each organization's cohesion.
        present: ``present(section, key)`` tells whether a state (``"state"``), base or
            project has cells in the grid; absent ones emit nothing and take no weight.
        gdp: each state's GDP, which shares an organization's emission among its members.
        masses: each site's mass, :func:`site_masses` of the world.
    """
    params = world.params
    out: list[Instrument] = []
    for power in params.powers:
        if present("state", power):
            for domain in ("security", "economy"):
                out.append(Instrument(power, domain, "territory", power, 1.0, 1.0, ((power, 1.0),)))
    for section in SITE_SECTIONS:
        for site in world.sites(section):
            where = site.state if section == "link" else site.id
            if not present("state" if section == "link" else section, where):
                continue
            targets = ((site.state, 1.0),) if section == "link" else ()
            out.append(
                Instrument(
                    site.power,
                    _domain_of(section, site),
                    KIND_OF_SECTION[section],
                    site.id,
                    masses[(section, site.id)],
                    1.0,
                    targets,
                )
            )
    effect = params.cohesion.effect
    for code, org in params.organizations.items():
        followers = [
            m
            for m in world.memberships.members(code)
            if m not in org.leaders and present("state", m)
        ]
        total_gdp = sum(gdp[m] for m in followers)
        if not followers or total_gdp <= 0:
            continue
        targets = tuple((m, gdp[m] / total_gdp) for m in followers)
        lead = sum(org.leaders.values())
        factor = 1.0 - effect * (1.0 - cohesion.get(code, 1.0))
        for power, share in org.leaders.items():
            for domain in ("security", "economy"):
                mass = share / lead * org.domains.get(domain, 0.0) * org.strength
                if mass > 0:
                    out.append(
                        Instrument(power, domain, "organizations", code, mass, factor, targets)
                    )
    return out


def instrument_weights(world: World, items: list[Instrument]) -> np.ndarray:
    """Each instrument's share of its power's budget in its domain (sums to 1 per group)."""
    kind_mass: dict[tuple[str, str, str], float] = defaultdict(float)
    for it in items:
        kind_mass[(it.power, it.domain, it.kind)] += it.mass
    raw = np.array(
        [
            world.params.powers[it.power].instruments.get(it.domain, {}).get(it.kind, 0.0)
            * it.mass
            / kind_mass[(it.power, it.domain, it.kind)]
            * it.factor
            for it in items
        ]
    )
    group_total: dict[tuple[str, str], float] = defaultdict(float)
    for it, r in zip(items, raw, strict=True):
        group_total[(it.power, it.domain)] += r
    totals = np.array([group_total[(it.power, it.domain)] for it in items])
    return np.divide(raw, totals, out=np.zeros_like(raw), where=totals > 0)


def allocate(
    world: World, budgets: np.ndarray, items: list[Instrument]
) -> list[tuple[Instrument, float]]:
    """Each instrument with the amount it emits this month: its weight times its budget."""
    weights = instrument_weights(world, items)
    index = world.power_index
    domain = {"security": 0, "economy": 1}
    return [
        (it, float(w * budgets[index[it.power], domain[it.domain]]))
        for it, w in zip(items, weights, strict=True)
    ]
