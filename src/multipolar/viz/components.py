"""Solara components of the browser view: the map, the time series and the states panel.

Each reads the model after every step through Mesa's ``update_counter`` and draws with the
same matplotlib functions as the report, so the page and the paper figures agree.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from multipolar.viz import live
from multipolar.viz.maps import draw_channel_map, draw_leading_map
from multipolar.viz.series import (
    CENTRAL_ASIA,
    plot_alignment,
    plot_ca_shares,
    plot_polarity,
    plot_rivalry,
)
from multipolar.viz.style import POWER_NAMES, mix_colors, rc_params

__all__ = ["InfluenceMap", "StatesPanel", "StepInfo", "TimeSeries"]

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


@solara.component
def InfluenceMap(model: Any) -> None:
    """The influence map: leading power and margin, or one channel's heat map."""
    update_counter.get()
    mode, set_mode = solara.use_state(LEADING)
    basins, set_basins = solara.use_state(True)
    choices = [LEADING, *model.channels]
    with solara.Column(gap="4px"):
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
            fig = Figure(figsize=(6.4, 3.6))
            fig.subplots_adjust(left=0.08, right=0.97, top=0.92, bottom=0.08)
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
    """Shares over Central Asia, rivalry and partnership, polarity, and the republics' alignment."""
    update_counter.get()
    frame = live.model_frame(model)
    states = live.states_frame(model)
    powers = list(model.powers)
    params = getattr(model, "params", None)
    pair = set(getattr(getattr(params, "metrics", None), "rivalry_pair", ()) or ())
    partnership = {
        k: float(v)
        for k, v in (getattr(params, "partnership", None) or {}).items()
        if not pair or set(k.split("-")) == pair
    }
    focus = [
        iso3
        for iso3, spec in (getattr(params, "states", None) or {}).items()
        if getattr(spec, "role", "") == "central_asia"
    ] or list(CENTRAL_ASIA)
    with matplotlib.rc_context(rc_params()):
        fig = Figure(figsize=(7.2, 4.6))
        upper = fig.add_gridspec(1, 3, left=0.07, right=0.93, top=0.94, bottom=0.42, wspace=0.5)
        axes = [fig.add_subplot(upper[0, k]) for k in range(3)]
        plot_ca_shares(axes[0], frame, powers)
        plot_rivalry(axes[1], frame, partnership)
        plot_polarity(axes[2], frame)
        bottom = fig.add_gridspec(
            1, len(focus), left=0.07, right=0.93, top=0.28, bottom=0.06, wspace=0.1
        )
        lower = [fig.add_subplot(bottom[0, k]) for k in range(len(focus))]
        plot_alignment(lower, states, powers, focus)
        for ax in lower[1:]:
            ax.tick_params(labelleft=False)
    _png(fig)


@solara.component
def StatesPanel(model: Any) -> None:
    """Each state's alignment (a colour bar over the powers) and its memberships."""
    update_counter.get()
    powers = list(model.powers)
    rows = []
    for marker in live.markers(model):
        weights = [marker.alignment.get(p, 0.0) for p in powers]
        r, g, b = (round(255 * c) for c in mix_colors(weights, powers))
        cells = "".join(
            f'<span title="{POWER_NAMES.get(p, p)} {w:.2f}" style="display:inline-block;'
            f'height:10px;width:{round(90 * w)}px;background:{_hex(p, powers)}"></span>'
            for p, w in zip(powers, weights, strict=True)
        )
        share = " · ".join(f"{p} {w:.2f}" for p, w in zip(powers, weights, strict=True))
        rows.append(
            f'<tr><td style="color:rgb({r},{g},{b});font-weight:bold">{marker.iso3}</td>'
            f"<td>{cells}</td><td style='font-size:11px'>{share}</td>"
            f"<td>{', '.join(marker.memberships) or '–'}</td></tr>"
        )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<table style='font-size:12px;border-spacing:6px 2px'>"
            "<tr><th>state</th><th>alignment</th><th></th><th>memberships</th></tr>"
            + "".join(rows)
            + "</table>"
        ),
    )


def _hex(power: str, powers: list[str]) -> str:
    from multipolar.viz.style import power_color

    return power_color(power, powers)
