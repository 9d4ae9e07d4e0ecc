"""MultipolarModel: the Mesa model tying scenario, geography, fields, agents and events together.

One step is one month:

1. advance the date; grow capabilities, let last month's shocks recover and enlargement
   boosts fade;
2. apply the events due (memberships, treaties, bases, projects, capacity shocks,
   parameter changes);
3. emit this month's sources (budgets, territories, bases, corridors, organizations) and
   diffuse the fields on the backend (``substeps`` explicit updates);
4. read zonal influence per country and basin (the only device-to-host traffic);
5. states update their alignment; organizations their cohesion and, by their rules, members;
6. the DataCollector records the metrics, the states and the basins.

The model never branches on the backend: it calls the backend interface of
:mod:`multipolar.kernels`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import PropertyLayer

from multipolar.agents import OrganizationAgent, StateAgent
from multipolar.capabilities import Capabilities
from multipolar.config import DOMAINS, Scenario, load_scenario, override, stable_substeps
from multipolar.emissions import collect_sources
from multipolar.events import Applied, EventSchedule, apply_event, describe
from multipolar.field import InfluenceField
from multipolar.geography import Geography, Grid, build_geography
from multipolar.kernels import Backend, get_backend
from multipolar.memberships import MembershipTable
from multipolar.metrics import model_reporters
from multipolar.readings import Readings
from multipolar.sources import SourceLayout
from multipolar.timeline import add_months, step_of
from multipolar.timing import PhaseTimes

__all__ = ["MultipolarModel", "geography_for"]


def geography_for(scenario: Scenario, cache_dir: Path | None = None) -> Geography:
    """Build (or read from the cache) the rasters for a scenario's grid and conductance."""
    g = scenario.geography
    grid = Grid(g.lon_min, g.lon_max, g.lat_min, g.lat_max, g.resolution)
    c = g.conductance
    return build_geography(
        grid,
        {"open_land": c.open_land, "mountains": c.mountains, "water": c.water},
        dict(c.features),
        cache_dir=cache_dir,
    )


def _resolve(scenario: Scenario | str | Path | None, overrides: dict[str, Any]) -> Scenario:
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return override(base, overrides)


class MultipolarModel(mesa.Model):
    """Great-power competition over Central Asia as a Mesa model.

    Args:
        scenario: a :class:`Scenario`, a scenario file, a bundled scenario's name, or None
            for the bundled default.
        backend: diffusion backend: ``auto``, ``numpy``, ``numba`` or ``cupy``.
        rng: seed or generator; None takes the scenario's ``run.seed``.
        spinup_months: months the fields are diffused with the initial sources before step 0,
            so a run starts near equilibrium rather than from empty fields.
        **overrides: scenario values to change, dotted keys written with ``__``
            (``alignment__rate=0.2``), the thin layer ``mesa.batch_run`` and sliders use.

    The typed scenario in force is ``model.params`` (events may change it during a run);
    ``model.spec`` is the scenario as given. Mesa's own ``model.scenario`` is left to Mesa.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        backend: str | Backend = "auto",
        rng: Any = None,
        spinup_months: int = 24,
        **overrides: Any,
    ) -> None:
        spec = _resolve(scenario, overrides)
        super().__init__(rng=spec.run.seed if rng is None else rng)
        self.spec = spec
        self.params = spec
        self.backend = backend if not isinstance(backend, str) else get_backend(backend)
        self.powers: list[str] = list(spec.powers)
        self.power_index = {p: i for i, p in enumerate(self.powers)}
        self.channels = [f"{p}.{d}" for p in self.powers for d in DOMAINS]
        self.n_channels = len(self.channels)
        self.n_steps = step_of(spec.run.start, spec.run.end)
        self.date: dt.date = spec.run.start
        self.rivalry = self._rivalry_matrix()

        self.geography = geography_for(spec)
        self.layout = SourceLayout(spec, self.geography)
        self.readings = Readings(self.layout, len(self.powers))
        res2 = spec.geography.resolution**2
        substeps = spec.diffusion.substeps
        self.substeps = stable_substeps(spec) if substeps == "auto" else substeps
        self.field = InfluenceField(
            self.backend,
            self.geography,
            np.array(
                [
                    getattr(spec.diffusion, d).diffusivity / res2
                    for _ in self.powers
                    for d in DOMAINS
                ]
            ),
            np.array([getattr(spec.diffusion, d).decay for _ in self.powers for d in DOMAINS]),
            self.substeps,
        )

        self.capabilities = Capabilities(spec)
        self.capabilities.update(self.date)
        self.memberships = MembershipTable()
        for code, org in spec.organizations.items():
            for iso3, joined in sorted(org.members.items(), key=lambda kv: kv[1]):
                self.memberships.join(code, iso3, joined, cause="initial")
        self.treaty_status = {
            (t, p): s for t, treaty in spec.treaties.items() for p, s in treaty.parties.items()
        }
        self.active_bases = {
            b.id
            for b in spec.bases
            if b.opened <= self.date and (b.closed is None or b.closed > self.date)
        }
        self.active_projects = {
            p.id
            for p in spec.projects
            if p.opened <= self.date and (p.closed is None or p.closed > self.date)
        }
        self.boost = np.zeros(len(self.powers))
        self.last_budgets = np.zeros((len(self.powers), len(DOMAINS)))
        self.applied: list[Applied] = []
        self.schedule_of_events = EventSchedule(spec)
        self.times = PhaseTimes()

        self.states: dict[str, StateAgent] = {}
        self.organizations: dict[str, OrganizationAgent] = {}
        for code in spec.organizations:
            self.organizations[code] = OrganizationAgent(self, code)
        self.initial_alignment = {iso3: self._initial_alignment(iso3) for iso3 in spec.states}
        for iso3, state_spec in spec.states.items():
            self.states[iso3] = StateAgent(self, iso3, state_spec, self.initial_alignment[iso3])

        self._apply_due_events(0)
        for org in self.organizations.values():
            org.update_cohesion()
        self.field.set_sources(collect_sources(self))
        if spinup_months > 0:
            self.field.advance(spinup_months)
        self.readings.update(self.field.country_sums())
        self.datacollector = mesa.DataCollector(
            model_reporters=model_reporters(self),
            tables={"states": self._state_columns(), "basins": self._basin_columns()},
        )
        self._collect()

    # ------------------------------------------------------------------ setup helpers
    def _rivalry_matrix(self) -> np.ndarray:
        """``1 - partnership`` between the powers (0 on the diagonal, 1 for unlisted pairs)."""
        n = len(self.powers)
        rivalry = 1.0 - np.eye(n)
        for pair, value in self.params.partnership.items():
            a, _, b = pair.partition("-")
            i, j = self.power_index[a], self.power_index[b]
            rivalry[i, j] = rivalry[j, i] = 1.0 - value
        return rivalry

    def _initial_alignment(self, iso3: str) -> np.ndarray:
        """Great powers: themselves. Others: as given, else 1 plus ties to organization leaders."""
        n = len(self.powers)
        if iso3 in self.power_index:
            return np.eye(n)[self.power_index[iso3]]
        given = self.spec.states[iso3].initial_alignment
        if given is not None:
            weights = np.array([given.get(p, 0.0) for p in self.powers])
        else:
            weights = 1.0 + self.spec.alignment.initial_tie_weight * self.ties(iso3)
        return weights / weights.sum()

    # ------------------------------------------------------------------ queries used by agents
    def state(self, iso3: str) -> StateAgent:
        """The StateAgent of a state."""
        return self.states[iso3]

    def channel_index(self, power: str, domain: int) -> int:
        """Kernel channel of (power, domain index)."""
        return self.power_index[power] * len(DOMAINS) + domain

    def ties(self, iso3: str) -> np.ndarray:
        """Institutional pull toward each power: leader shares summed over the organizations."""
        ties = np.zeros(len(self.powers))
        for code in self.memberships.organizations_of(iso3):
            leaders = self.params.organizations[code].leaders
            total = sum(leaders.values())
            for power, weight in leaders.items():
                ties[self.power_index[power]] += weight / total
        return ties

    def treaty_factor(self, power: str) -> float:
        """Security effort left to a power by the arms-control treaties it is party to."""
        factor = 1.0
        for (code, party), status in self.treaty_status.items():
            if party == power:
                treaty = self.params.treaties[code]
                factor *= {
                    "in_force": 1.0 - treaty.restraint,
                    "suspended": 1.0 - treaty.suspended_restraint,
                    "withdrawn": 1.0,
                }[status]
        return factor

    def on_enlargement(self, organization: str) -> None:
        """A rival organization enlarged: step up other powers' security effort (mechanism 2)."""
        leaders = self.params.organizations[organization].leaders
        total = sum(leaders.values())
        response = self.params.security_dilemma.enlargement_response
        for i, power in enumerate(self.powers):
            if power in leaders:
                continue
            rivalry = sum(
                w / total * self.rivalry[i, self.power_index[p]]
                for p, w in leaders.items()
            )
            self.boost[i] += response * rivalry

    def set_params(self, params: Scenario) -> None:
        """Swap in changed parameters (a ``parameter_change`` event)."""
        self.params = params
        self.rivalry = self._rivalry_matrix()

    # ------------------------------------------------------------------ the step
    def _apply_due_events(self, step: int) -> None:
        for event in self.schedule_of_events.due(step):
            apply_event(self, event)
            subject, detail = describe(event)
            self.applied.append(Applied(step, self.date, event.kind, subject, detail, "event"))

    def step(self) -> None:
        """Advance one month."""
        step = self.steps
        times = self.times
        with times.phase("events"):
            self.date = add_months(self.spec.run.start, step)
            self.capabilities.update(self.date)
            self.capabilities.recover_month()
            self.boost *= np.exp(-1.0 / self.params.security_dilemma.enlargement_decay_months)
            self._apply_due_events(step)
        with times.phase("sources"):
            self.field.set_sources(collect_sources(self))
        with times.phase("diffusion"):
            self.field.advance()
            self.readings.update(self.field.country_sums())
        with times.phase("agents"):
            noise = self.params.alignment.noise
            for agent in self.states.values():
                agent.step(self.rng.normal(0.0, noise, len(self.powers)) if noise > 0 else None)
            for org in self.organizations.values():
                org.update_cohesion()
                for action, iso3 in org.apply_rules(self.date):
                    self.applied.append(Applied(step, self.date, action, iso3, org.code, "rule"))
                    if action == "join":
                        self.on_enlargement(org.code)
        with times.phase("collect"):
            self._collect()
        if step >= self.n_steps:
            self.running = False

    # ------------------------------------------------------------------ outputs
    def _state_columns(self) -> list[str]:
        per_power = [f"{k}_{p}" for k in ("align", "security", "economy") for p in self.powers]
        return ["step", "date", "iso3", *per_power, "memberships"]

    def _basin_columns(self) -> list[str]:
        per_power = [f"{k}_{p}" for k in ("security", "economy", "share") for p in self.powers]
        return ["step", "date", "basin", "cells", *per_power, "leading_power"]

    def _collect(self) -> None:
        self.datacollector.collect(self)
        step, date = self.steps, self.date.isoformat()
        for iso3, agent in self.states.items():
            security, economy = self.readings.levels(iso3)
            row: dict[str, Any] = {"step": step, "date": date, "iso3": iso3}
            for i, power in enumerate(self.powers):
                row[f"align_{power}"] = float(agent.alignment[i])
                row[f"security_{power}"] = float(security[i])
                row[f"economy_{power}"] = float(economy[i])
            row["memberships"] = ",".join(sorted(self.memberships.organizations_of(iso3)))
            self.datacollector.add_table_row("states", row)
        sums = self.field.basin_sums().reshape(len(self.powers), len(DOMAINS), -1)
        cells = np.bincount(self.geography.basin.ravel(), minlength=sums.shape[-1])
        area = self.geography.grid.cell_area_deg2
        for b, name in enumerate(self.geography.basin_names):
            if b == 0:
                continue
            density = sums[:, :, b] / max(cells[b], 1) / area
            total = sums[:, :, b].sum(axis=1)
            shares = total / total.sum() if total.sum() > 0 else np.zeros(len(self.powers))
            row = {"step": step, "date": date, "basin": name, "cells": int(cells[b])}
            for i, power in enumerate(self.powers):
                row[f"security_{power}"] = float(density[i, 0])
                row[f"economy_{power}"] = float(density[i, 1])
                row[f"share_{power}"] = float(shares[i])
            row["leading_power"] = self.powers[int(np.argmax(shares))] if total.sum() > 0 else ""
            self.datacollector.add_table_row("basins", row)

    def influence(self, channel: str) -> np.ndarray:
        """One channel's field (``"RUS.security"``) on the host, copied at most once per step."""
        return self.field.to_host()[self.channels.index(channel)]

    def influence_layer(self, channel: str) -> PropertyLayer:
        """One channel's field as a Mesa PropertyLayer, built on request (for the browser view)."""
        data = self.influence(channel)
        layer = PropertyLayer(channel, data.shape, default_value=0.0, dtype=np.float32)
        layer.data = data
        return layer
