"""The browser view of a run: Mesa's SolaraViz over :class:`ExplorerModel`.

Start it with ``multipolar viz [SCENARIO]`` or, as Mesa's examples do, with
``solara run src/multipolar/viz/app.py``. The page has Mesa's controls (play, step, reset),
the scenario choice, the seed and sliders for the key parameters; Reset builds a new model
from them. The first scenario comes from ``MULTIPOLAR_VIZ_SCENARIO`` (a bundled name or a
file), the backend from ``MULTIPOLAR_VIZ_BACKEND`` (default ``auto``).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.user_param import Slider  # noqa: E402

from multipolar.config import load_scenario  # noqa: E402
from multipolar.viz.components import InfluenceMap, StatesPanel, TimeSeries  # noqa: E402
from multipolar.viz.explorer import (  # noqa: E402
    CONTROLS,
    ExplorerModel,
    control_range,
    default_choice,
    initial_values,
    scenario_choices,
)

__all__ = ["model_params", "page"]


def _model_params() -> dict[str, object]:
    choices = scenario_choices()
    first = default_choice()
    scenario = load_scenario(choices[first])
    values = initial_values(scenario)
    params: dict[str, object] = {
        "scenario_name": {
            "type": "Select",
            "value": first,
            "values": sorted(choices),
            "label": "Scenario",
        },
        "seed": {
            "type": "InputText",
            "value": str(scenario.run.seed),
            "label": "Seed",
        },
        "diffusion": Slider("Diffusion (× the scenario's diffusivity)", 1.0, 0.25, 3.0, 0.05),
    }
    for name, (_, label) in CONTROLS.items():
        low, high = control_range(scenario, name)
        params[name] = Slider(label, round(values[name], 4), low, high, 0.01)
    return params


model_params = _model_params()
model = ExplorerModel()
page = SolaraViz(
    model,
    components=[(InfluenceMap, 0), (TimeSeries, 0), (StatesPanel, 0)],
    model_params=model_params,
    name="multipolar: great-power competition in Central Asia",
    play_interval=150,
)
page  # noqa: B018
