"""Solara components of the browser view: the map, the time series and the states panel.

Each reads the model after every step through Mesa's ``update_counter``. The map is drawn
by the same matplotlib functions as the report's figures, so the page and the paper agree;
the time series go to the browser as an ECharts option (see :mod:`.echarts`), which keeps a
redraw cheap.
"""

from __future__ import annotations

from html import escape
from typing import Any

import matplotlib
import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from multipolar.viz import live
from multipolar.viz.echarts import series_option
from multipolar.viz.explorer import CONTROLS, initial_values
from multipolar.viz.maps import draw_channel_map, draw_leading_map
from multipolar.viz.series import CENTRAL_ASIA
from multipolar.viz.style import POWER_NAMES, mix_colors, power_color, rc_params

__all__ = ["InfluenceMap", "StatesPanel", "StepInfo", "TimeSeries", "in_force"]

LEADING = "leading power"
_DPI = 90


def _png(fig: Figure) -> solara.Element:
    return solara.FigureMatplotlib(fig, format="png", dpi=_DPI, bbox_inches=None)


@solara.component
def StepInfo(model: Any) -> None:
    """The current step and date, e.g. ``Step 3 of 120 · 2023-04``."""
    update_counter.get()
    total = getattr(model, "n_steps", None)
    of = f" of {total}" if total is not None else ""
    solara.Text(f"Step {model.steps}{of} · {model.date:%Y-%m}", classes=["multipolar-step"])


def in_force(model: Any) -> str:
    """The controlled parameters as the model holds them, e.g. ``Russia–China partnership 0.60``."""
    params = getattr(model, "params", None)
    if params is None:
        return ""
    values = initial_values(params)
    factor = getattr(model, "controls", {}).get("diffusion", 1.0)
    parts = [f"diffusion ×{factor:.2f}"]
    parts += [f"{label} {values[name]:.2f}" for name, (_, label) in CONTROLS.items()]
    seed = getattr(getattr(params, "run", None), "seed", None)
    name = getattr(params, "name", "")
    return f"in force: {name}: " + ", ".join(parts) + (f", seed {seed}" if seed is not None else "")


@solara.component
def InfluenceMap(model: Any) -> None:
    """The influence map: leading power and margin, or one channel's heat map."""
    update_counter.get()
    mode, set_mode = solara.use_state(LEADING)
    basins, set_basins = solara.use_state(True)
    choices = [LEADING, *model.channels]
    with solara.Column(gap="4px", classes=["multipolar-map"]):
        with solara.Row(gap="12px", style={"align-items": "center"}):
            StepInfo(model)
            solara.Select(
                label="Map",
                value=mode if mode in choices else LEADING,
                values=choices,
                on_value=set_mode,
                style={"max-width": "220px"},
            )
            solara.Checkbox(label="basins", value=basins, on_value=set_basins)
        data = live.map_data(model)
        marks = live.markers(model)
        with matplotlib.rc_context(rc_params()):
            fig = Figure(figsize=(5.4, 3.5))
            fig.subplots_adjust(left=0.08, right=0.99, top=0.93, bottom=0.07)
            ax = fig.add_subplot()
            if mode in model.channels:
                draw_channel_map(ax, data, mode, marks, basins=basins)
                ax.set_title(f"{mode} influence, {model.date:%Y-%m}", loc="left")
            else:
                draw_leading_map(ax, data, marks, basins=basins)
                ax.set_title(f"Leading power and margin, {model.date:%Y-%m}", loc="left")
        _png(fig)


@solara.component
def TimeSeries(model: Any) -> None:
    """Shares over Central Asia, rivalry and partnership, polarity, and the republics' alignment.

    Drawn with ECharts (rendered by the browser), so a redraw costs the server little.
    """
    update_counter.get()
    frame = live.model_frame(model)
    states = live.states_frame(model)
    powers = list(model.powers)
    params = getattr(model, "params", None)
    role = getattr(getattr(params, "metrics", None), "focus_role", "central_asia")
    focus = [
        iso3
        for iso3, spec in (getattr(params, "states", None) or {}).items()
        if getattr(spec, "role", "") == role
    ] or list(CENTRAL_ASIA)
    solara.FigureEcharts(
        option=series_option(frame, states, powers, focus),
        attributes={"style": "height: 380px; width: 100%;", "class": "multipolar-series"},
        responsive=True,
    )


@solara.component
def StatesPanel(model: Any) -> None:
    """Each state's alignment (a colour bar over the powers) and its memberships.

    The code's tooltip gives the state's name; the rows follow the scenario's order.
    """
    update_counter.get()
    powers = list(model.powers)
    rows = []
    for marker in live.markers(model):
        weights = [marker.alignment.get(p, 0.0) for p in powers]
        r, g, b = (round(255 * c) for c in mix_colors(weights, powers))
        cells = "".join(
            f'<span title="{POWER_NAMES.get(p, p)} {w:.2f}" style="display:inline-block;'
            f'height:10px;width:{round(90 * w)}px;background:{power_color(p, powers)}"></span>'
            for p, w in zip(powers, weights, strict=True)
        )
        share = " · ".join(f"{p} {w:.2f}" for p, w in zip(powers, weights, strict=True))
        rows.append(
            f'<tr><td title="{escape(marker.name or marker.iso3)}" '
            f'style="color:rgb({r},{g},{b});font-weight:bold">{escape(marker.iso3)}</td>'
            f"<td>{cells}</td><td style='font-size:11px'>{share}</td>"
            f"<td>{escape(', '.join(marker.memberships)) or '–'}</td></tr>"
        )
    with solara.Column(gap="2px"):
        if getattr(model, "rejected", ""):
            solara.Warning(f"controls not applied: {model.rejected}", dense=True)
        solara.Text(in_force(model), classes=["multipolar-in-force"], style={"font-size": "12px"})
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                "<table style='font-size:12px;border-spacing:6px 2px'>"
                "<tr><th>state</th><th>alignment</th><th></th><th>memberships</th></tr>"
                + "".join(rows)
                + "</table>"
            ),
        )
