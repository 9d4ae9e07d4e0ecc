"""MultipolarModel: the thin Mesa shell that runs the mechanisms' phases and records them.

The state of the world lives in a :class:`~multipolar.world.World`; the mechanisms are pure
functions of it (:mod:`multipolar.mechanisms`); the agents hold their own state. One step
is one month:

1. advance the date; grow capabilities, let shocks recover and enlargement boosts fade;
2. apply the events due (:mod:`multipolar.events`);
3. set the budgets (mechanisms 1-3), share them out over the instruments (conservation,
   mechanism 6) and diffuse the fields on the backend;
4. read zonal influence per country and basin (the only device-to-host traffic);
5. states move their alignment (mechanism 4), organizations update their cohesion and
   apply their rules (mechanism 6), partnerships move with the contest (mechanism 5);
6. the DataCollector records the metrics, the states and the basins.

The model never branches on the backend: it calls the backend interface of
:mod:`multipolar.kernels`. Equations and schedule: ``docs/model.md``.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import PropertyLayer

from multipolar.agents import OrganizationAgent, StateAgent
from multipolar.capabilities import Capabilities
from multipolar.channels import ChannelPlan
from multipolar.config import DOMAINS, Scenario, load_scenario, override
from multipolar.events import Applied, EventSchedule, apply_event, describe
from multipolar.field import InfluenceField
from multipolar.geography import Geography, Grid, build_geography
from multipolar.kernels import Backend, get_backend
from multipolar.mechanisms.alignment import softmax
from multipolar.mechanisms.budgets import (
    monthly_budgets,
    partner_alignment,
    reference_budgets,
    security_threat,
)
from multipolar.mechanisms.instruments import allocate, instruments, site_masses
from multipolar.mechanisms.organizations import eviction_decision
from multipolar.mechanisms.partnership import contest, next_partnership, state_shares
from multipolar.memberships import MembershipTable
from multipolar.metrics import model_reporters
from multipolar.readings import Readings, reference_density
from multipolar.sources import SourceBatch, SourceLayout
from multipolar.timeline import add_months, step_of
from multipolar.timing import PhaseTimes
from multipolar.world import World

__all__ = ["MultipolarModel", "geography_for"]


def geography_for(scenario: Scenario, cache_dir: Path | None = None) -> Geography:
    """Build (or read from the cache) the rasters for a scenario's grid and conductance.

    Kept in memory per process for the last few grids, so the runs of a sweep worker share
    one read of the rasters. A Geography is never modified after it is built.
    """
    g = scenario.geography
    c = g.conductance
    return _geography(
        (g.lon_min, g.lon_max, g.lat_min, g.lat_max, g.resolution),
        (c.open_land, c.mountains, c.water),
        tuple(sorted(c.features.items())),
        cache_dir,
    )


@functools.lru_cache(maxsize=4)
def _geography(
    bounds: tuple[float, float, float, float, float],
    terrain: tuple[float, float, float],
    features: tuple[tuple[str, float], ...],
    cache_dir: Path | None,
) -> Geography:
    open_land, mountains, water = terrain
    return build_geography(
        Grid(*bounds),
        {"open_land": open_land, "mountains": mountains, "water": water},
        dict(features),
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

    The world in force is ``model.world`` (``model.params`` is its scenario, which events
    may change); ``model.spec`` is the scenario as given. Mesa's own ``model.scenario`` is
    left to Mesa.
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
        self.world = World.at_start(spec)
        self.plan = ChannelPlan.of(spec)
        self.backend = backend if not isinstance(backend, str) else get_backend(backend)
        self.n_steps = step_of(spec.run.start, spec.run.end)
        self.spinup_months = spinup_months

        self.geography = geography_for(spec)
        self.layout = SourceLayout(spec, self.geography)
        grid_area = self.geography.country.size * self.geography.grid.cell_area_deg2
        decay = np.array([self.plan.domain_decay(d) for d in DOMAINS])
        self.readings = Readings(
            self.layout,
            len(self.powers),
            reference_density(reference_budgets(self.world), decay, grid_area),
        )
        self.substeps = self.plan.substeps
        self.field = InfluenceField(
            self.backend,
            self.geography,
            self.plan.diffusivity_cells,
            self.plan.decay,
            self.plan.substeps,
            scheme=self.plan.scheme,
        )
        self.last_budgets = np.zeros((len(self.powers), len(DOMAINS)))
        self.applied: list[Applied] = []
        self.schedule_of_events = EventSchedule(spec)
        self.times = PhaseTimes()

        self.organizations: dict[str, OrganizationAgent] = {
            code: OrganizationAgent(self, code) for code in spec.organizations
        }
        self.states: dict[str, StateAgent] = {}
        for iso3, state_spec in spec.states.items():
            self.states[iso3] = StateAgent(self, iso3, state_spec, self._initial_alignment(iso3))

        self._apply_due_events(0)
        for org in self.organizations.values():
            org.update_cohesion()
        self._spin_up(spinup_months)
        self._settle_alignments()
        self.datacollector = mesa.DataCollector(
            model_reporters=model_reporters(self),
            tables={"states": self._state_columns(), "basins": self._basin_columns()},
        )
        self._collect()

    # ------------------------------------------------------------------ views of the world
    @property
    def params(self) -> Scenario:
        """The scenario in force (events may change it)."""
        return self.world.params

    @property
    def date(self) -> dt.date:
        """The current month's first day."""
        return self.world.date

    @property
    def powers(self) -> list[str]:
        """The great powers, in channel order."""
        return self.world.powers

    @property
    def power_index(self) -> dict[str, int]:
        """Position of each great power in the per-power arrays."""
        return self.world.power_index

    @property
    def channels(self) -> list[str]:
        """Field channel names in kernel order (``RUS.security``, ...)."""
        return self.plan.names

    @property
    def n_channels(self) -> int:
        """Number of field channels."""
        return self.plan.n_channels

    @property
    def capabilities(self) -> Capabilities:
        """Capacities of every state now."""
        return self.world.capabilities

    @property
    def memberships(self) -> MembershipTable:
        """The membership table in force."""
        return self.world.memberships

    def _initial_alignment(self, iso3: str) -> np.ndarray:
        """Great powers: themselves. Others: as given, else 1 plus ties to organization leaders."""
        n = len(self.powers)
        if iso3 in self.power_index:
            return np.eye(n)[self.power_index[iso3]]
        given = self.spec.states[iso3].initial_alignment
        if given is not None:
            weights = np.array([given.get(p, 0.0) for p in self.powers])
        else:
            weights = 1.0 + self.spec.alignment.initial_tie_weight * np.maximum(
                self.world.ties(iso3), 0.0
            )
        return weights / weights.sum()

    def _spin_up(self, months: int) -> None:
        """Diffuse the start's sources for ``months`` months, in rounds of at most a year.

        The sources are recomputed between rounds from the readings so far, so the budgets
        that depend on the fields (the security dilemma's threat) are settled too by the
        start, rather than jumping in its first months. With the implicit scheme each round
        takes steps of three months (:meth:`InfluenceField.relax`): only the steady state
        matters here, not the path to it.
        """
        self.field.set_sources(self._sources())
        done = 0
        while done < months:
            chunk = min(12, months - done)
            if self.plan.scheme == "implicit":
                self.field.relax(chunk, steps=max(1, chunk // 3))
            else:
                self.field.advance(chunk)
            done += chunk
            self.readings.update(self.field.country_sums())
            self.field.set_sources(self._sources())
        self.readings.update(self.field.country_sums())

    def _settle_alignments(self) -> None:
        """States in the grid without a given starting alignment start at their target.

        The target is ``softmax(U / temperature)`` of the start's memberships and readings
        (no shock), so a run starts from the model's own reading of the start date rather
        than drifting away from an arbitrary guess during its first years.
        """
        settling = [
            agent
            for iso3, agent in self.states.items()
            if not agent.is_great_power
            and agent.in_grid
            and self.spec.states[iso3].initial_alignment is None
        ]
        # adversaries' alignments enter each other's targets: a few rounds let a pair settle
        for _ in range(3 if self.params.conflicts else 1):
            self.world.back_adversaries(self._alignments())
            for agent in settling:
                agent.alignment = softmax(agent.utilities() / self.params.alignment.temperature)
                agent.start_alignment = agent.alignment.copy()

    def _alignments(self) -> dict[str, np.ndarray]:
        """Every state's alignment now (great powers included, aligned with themselves)."""
        return {iso3: agent.alignment for iso3, agent in self.states.items()}

    def state(self, iso3: str) -> StateAgent:
        """The StateAgent of a state."""
        return self.states[iso3]

    def record(self, kind: str, subject: str, detail: str, cause: str) -> None:
        """Add one change to the run's event table."""
        self.applied.append(Applied(self.steps, self.date, kind, subject, detail, cause))

    # ------------------------------------------------------------------ the phases
    def _apply_due_events(self, step: int) -> None:
        for event in self.schedule_of_events.due(step):
            if apply_event(self.world, event):
                subject, detail = describe(event)
                self.record(event.kind, subject, detail, "event")

    def _sources(self) -> SourceBatch:
        """This month's budgets, shared out over the instruments, as source densities."""
        world = self.world
        spheres = [
            self.readings.totals((p, *world.params.powers[p].near_abroad))[:, 0]
            for p in self.powers
        ]
        threat = security_threat(world.rivalry_matrix(), np.array(spheres))
        alignments = {iso3: s.alignment for iso3, s in self.states.items()}
        masses = site_masses(world)
        partners = partner_alignment(world, alignments, self.layout.project_hosts(), masses)
        self.last_budgets = monthly_budgets(world, threat, partners)
        cohesion = {code: org.cohesion for code, org in self.organizations.items()}
        gdp = {iso3: world.capabilities.of(iso3)[0] for iso3 in world.params.states}
        items = instruments(world, cohesion, self.layout.present, gdp, masses)
        return self.layout.emit(self.plan, allocate(world, self.last_budgets, items))

    def _evict_bases(self) -> None:
        """Hosts close the bases of powers they have turned from (mechanism 6's base rule).

        A base and its ``part_of`` garrisons are one decision: they close together, recorded
        once under the base's id.
        """
        rules = self.params.base_rules
        if not rules.enabled:
            return
        world = self.world
        sites = world.sites("base")
        for base in sites:
            host = self.states.get(base.host)
            if base.part_of is not None or host is None or host.is_great_power:
                continue
            level = float(host.alignment[self.power_index[base.power]])
            evict, world.eviction_counters[base.id] = eviction_decision(
                level,
                world.eviction_counters.get(base.id),
                rules.evict_ratio,
                rules.memory_months,
                rules.patience_months,
            )
            if evict:
                closing = {base.id} | {s.id for s in sites if s.part_of == base.id}
                world.active["base"] -= closing
                self.record("base_close", base.id, base.host, "rule")

    def _move_partnerships(self) -> None:
        """Dynamic pairs' partnerships move with their contest over the focus states."""
        dynamics = self.params.partnership_dynamics
        if dynamics.rate == 0 or not dynamics.pairs:
            return
        role = self.params.metrics.focus_role
        focus = [s for s, spec in self.params.states.items() if spec.role == role]
        shares = state_shares(self.readings.influence(focus))
        for pair in dynamics.pairs:
            a, _, b = pair.partition("-")
            index = contest(shares, self.power_index[a], self.power_index[b]).mean()
            current = self.world.partnership_of(a, b)
            self.world.partnership[pair] = next_partnership(
                current, float(index), dynamics.rate, dynamics.tolerance
            )

    def step(self) -> None:
        """Advance one month.

        Raises:
            RuntimeError: the run already reached the scenario's ``run.end``.
        """
        step = self.steps
        if step > self.n_steps:
            raise RuntimeError(
                f"the run ended at {self.spec.run.end} (step {self.n_steps}); "
                "extend it with run.end"
            )
        times = self.times
        world = self.world
        with times.phase("events"):
            world.date = add_months(self.spec.run.start, step)
            world.capabilities.update(world.date, world.params.capability.growth_scale)
            world.capabilities.recover_month()
            world.boost *= np.exp(-1.0 / world.params.security_dilemma.enlargement_decay_months)
            world.fade_affinities()
            self._apply_due_events(step)
        with times.phase("sources"):
            self.field.set_sources(self._sources())
        with times.phase("diffusion"):
            self.field.advance()
            self.readings.update(self.field.country_sums())
        with times.phase("agents"):
            world.back_adversaries(self._alignments())
            self.agents_by_type[StateAgent].shuffle_do("step")
            for org in self.organizations.values():
                org.step()
            self._evict_bases()
            self._move_partnerships()
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
        for b, name in enumerate(self.geography.basin_names):
            if b == 0:
                continue
            density = sums[:, :, b] / max(cells[b], 1)
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
