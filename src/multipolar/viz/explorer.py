"""The model the browser view drives: a scenario plus the values of the page's controls.

Mesa's SolaraViz builds a new model from the controls on Reset, passing each control by name.
:class:`ExplorerModel` turns those names into scenario overrides (``CONTROLS``), so the page
needs no knowledge of the scenario's layout beyond this table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from multipolar.config import (
    DOMAINS,
    Scenario,
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    override,
)
from multipolar.model import MultipolarModel

__all__ = [
    "CONTROLS",
    "ENV_BACKEND",
    "ENV_SCENARIO",
    "ExplorerModel",
    "control_range",
    "initial_values",
    "scenario_choices",
]

ENV_SCENARIO = "MULTIPOLAR_VIZ_SCENARIO"
ENV_BACKEND = "MULTIPOLAR_VIZ_BACKEND"

CONTROLS: dict[str, tuple[str, str]] = {
    "russia_security": ("powers.RUS.effort.security", "Russia's security effort"),
    "china_economy": ("powers.CHN.effort.economy", "China's economic effort"),
    "alignment_rate": ("alignment.rate", "Alignment rate (per month)"),
    "partnership": ("partnership.RUS-CHN", "Russia–China partnership"),
}
"""Control name -> (dotted scenario key, label). ``diffusion`` scales every diffusivity."""


def scenario_choices() -> dict[str, Path]:
    """Bundled scenarios by name, plus the one named by ``MULTIPOLAR_VIZ_SCENARIO`` if any."""
    choices = {path.stem: path for path in bundled_scenarios()}
    given = os.environ.get(ENV_SCENARIO)
    if given:
        path = Path(given)
        if path.is_file() and path.resolve() not in {p.resolve() for p in choices.values()}:
            choices[path.stem] = path
    return choices


def default_choice() -> str:
    """The scenario the page opens with: the one given on the command line, else the default."""
    given = os.environ.get(ENV_SCENARIO)
    if given:
        return Path(given).stem
    return "central_asia_2023"


def _lookup(scenario: Scenario, key: str) -> float:
    node: Any = scenario
    for part in key.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return float(node)


def initial_values(scenario: Scenario) -> dict[str, float]:
    """The controls' values in a scenario (``diffusion`` is a factor, 1 by default)."""
    values = {"diffusion": 1.0}
    for name, (key, _) in CONTROLS.items():
        values[name] = _lookup(scenario, key)
    return values


def control_range(scenario: Scenario, name: str) -> tuple[float, float]:
    """The slider's bounds: 0 to 1, or for an effort, up to what the other domains leave."""
    key = CONTROLS[name][0]
    parts = key.split(".")
    if parts[0] == "powers" and parts[2] == "effort":
        efforts = scenario.powers[parts[1]].effort
        others = sum(v for d, v in efforts.items() if d != parts[3])
        return 0.0, round(max(0.0, 1.0 - others), 4)
    return 0.0, 1.0


class ExplorerModel(MultipolarModel):
    """A :class:`MultipolarModel` built from a scenario choice and the page's control values.

    Args:
        scenario_name: Name of a scenario in :func:`scenario_choices`.
        seed: Random seed (text from the page is accepted); None takes the scenario's.
        diffusion: Factor applied to every domain's diffusivity.
        russia_security: Russia's security effort, or None for the scenario's.
        china_economy: China's economic effort, or None for the scenario's.
        alignment_rate: The states' alignment rate, or None for the scenario's.
        partnership: The Russia–China partnership, or None for the scenario's.
        backend: Diffusion backend; None takes ``MULTIPOLAR_VIZ_BACKEND`` or ``auto``.
        scenario: Mesa's Reset passes its own experiment record here; it carries no values
            of ours and is ignored (the values come from the controls).

    Controls the scenario rejects (an effort that would make a power's efforts sum above 1 in
    the chosen scenario) are dropped: the model runs the scenario's own values and keeps the
    reason in ``rejected``, which the page shows.
    """

    def __init__(
        self,
        scenario_name: str | None = None,
        seed: int | str | None = None,
        diffusion: float = 1.0,
        russia_security: float | None = None,
        china_economy: float | None = None,
        alignment_rate: float | None = None,
        partnership: float | None = None,
        backend: str | None = None,
        scenario: object = None,
    ) -> None:
        choices = scenario_choices()
        name = scenario_name or default_choice()
        if name not in choices:
            raise ValueError(f"unknown scenario {name!r}; choose one of {sorted(choices)}")
        base = load_scenario(choices[name])
        requested = {
            "russia_security": russia_security,
            "china_economy": china_economy,
            "alignment_rate": alignment_rate,
            "partnership": partnership,
        }
        overrides: dict[str, Any] = {
            CONTROLS[k][0]: float(v) for k, v in requested.items() if v is not None
        }
        if float(diffusion) != 1.0:
            for domain in DOMAINS:
                current = getattr(base.diffusion, domain).diffusivity
                overrides[f"diffusion.{domain}.diffusivity"] = current * float(diffusion)
        if seed not in (None, ""):
            overrides["run.seed"] = int(str(seed).strip())
        self.rejected = ""
        try:
            spec = override(base, overrides, label="controls") if overrides else base
        except ScenarioError as error:  # e.g. efforts summing above 1 in another scenario
            self.rejected = str(error)
            seed_only = {k: v for k, v in overrides.items() if k == "run.seed"}
            spec = override(base, seed_only, label="controls") if seed_only else base
        super().__init__(scenario=spec, backend=backend or os.environ.get(ENV_BACKEND, "auto"))
        self.scenario_name = name
        self.controls = {**initial_values(spec), "diffusion": float(diffusion)}
