"""ECharts options for the browser view's time series (drawn by the browser, offline).

The browser draws the charts from a small JSON option, so a redraw costs the server a few
milliseconds instead of a rendered image. ECharts is used rather than Altair because
``solara-assets`` ships the ECharts build Solara asks for, while Solara's Vega-Lite widget
asks for unpinned ``vega@5`` paths that only a CDN can answer. The report keeps the
matplotlib panels of :mod:`.series`; colours and line styles come from :mod:`.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from multipolar.viz.series import CENTRAL_ASIA, pretty_label, share_columns
from multipolar.viz.style import POWER_NAMES, power_color

__all__ = ["series_option"]

_TOP = ("8%", "47%")  # top and height of the upper row of panels
_BOTTOM = ("67%", "25%")


def _dates(frame: pl.DataFrame) -> list[str]:
    if "date" in frame.columns:
        return [str(d) for d in frame["date"].to_list()]
    return [str(s) for s in frame["step"].to_list()]


def _points(frame: pl.DataFrame, column: str) -> list[list[Any]]:
    values = frame[column].to_list()
    return [
        [d, None if v is None else round(float(v), 5)]
        for d, v in zip(_dates(frame), values, strict=True)
    ]


def _line(name: str, data: list, axis: int, color: str, dashed: bool = False) -> dict[str, Any]:
    return {
        "name": name, "type": "line", "data": data, "xAxisIndex": axis, "yAxisIndex": axis,
        "showSymbol": len(data) == 1, "symbolSize": 5, "color": color,
        "lineStyle": {"color": color, "width": 1.6, "type": "dashed" if dashed else "solid"},
    }  # fmt: skip


def series_option(
    frame: pl.DataFrame,
    states: pl.DataFrame,
    powers: Sequence[str],
    republics: Sequence[str] = CENTRAL_ASIA,
) -> dict[str, Any]:
    """One ECharts option: shares, rivalry and partnership, polarity, republics' alignment."""
    upper = [
        ("Share over Central Asia", 1.0),
        ("Rivalry, partnership", 1.0),
        ("Effective poles", None),
        ("Blocs (0–1)", 1.0),
    ]
    n_low = max(len(republics), 1)
    grids, titles, x_axes, y_axes, series = [], [], [], [], []
    for k, (title, top) in enumerate(upper):
        left = 5 + k * 24.5
        grids.append({"left": f"{left}%", "width": "19%", "top": _TOP[0], "height": _TOP[1]})
        titles.append(
            {"text": title, "left": f"{left}%", "top": "0%", "textStyle": {"fontSize": 12}}
        )
        x_axes.append({"type": "time", "gridIndex": k, "splitNumber": 3})
        y_axes.append(
            {
                "type": "value",
                "gridIndex": k,
                "min": 0 if top else "dataMin",
                "max": top,
                "splitNumber": 4,
            }
        )
    for k, iso3 in enumerate(republics):
        index = len(upper) + k
        left = 5 + k * (95 / n_low)
        grids.append(
            {
                "left": f"{left}%",
                "width": f"{95 / n_low - 3}%",
                "top": _BOTTOM[0],
                "height": _BOTTOM[1],
            }
        )
        titles.append(
            {"text": iso3, "left": f"{left + 5}%", "top": "60%", "textStyle": {"fontSize": 11}}
        )
        x_axes.append({"type": "time", "gridIndex": index, "splitNumber": 2})
        y_axes.append(
            {
                "type": "value",
                "gridIndex": index,
                "min": 0,
                "max": 1,
                "splitNumber": 2,
                "axisLabel": {"show": k == 0},
            }
        )

    for (power, domain), column in share_columns(frame, powers).items():
        name = POWER_NAMES.get(power, power) + ("" if domain == "all" else f", {domain}")
        series.append(
            _line(name, _points(frame, column), 0, power_color(power, powers), domain == "economy")
        )
    for column in frame.columns:
        if column.startswith("rivalry_"):
            combined = not column.endswith(("security", "economy"))
            series.append(
                _line(
                    pretty_label(column),
                    _points(frame, column),
                    1,
                    "#222222" if combined else "#8a8a8a",
                    column.endswith("economy"),
                )
            )
        elif column.startswith("partnership_"):
            series.append(_line(pretty_label(column), _points(frame, column), 1, "#2a9d8f"))
    if "polarity_n_eff" in frame.columns:
        series.append(_line("effective poles", _points(frame, "polarity_n_eff"), 2, "#264653"))
    dashes = iter([False, True, True, True])
    for column in frame.columns:
        if column == "bloc_polarization" or column.startswith("tripolar_"):
            series.append(
                _line(
                    pretty_label(column), _points(frame, column), 3, "#e76f51", next(dashes, True)
                )
            )

    columns = [f"align_{p}" for p in powers if f"align_{p}" in states.columns]
    if "iso3" in states.columns and columns:
        for k, iso3 in enumerate(republics):
            rows = states.filter(pl.col("iso3") == iso3).sort("step")
            for column in columns:
                power = column.removeprefix("align_")
                color = power_color(power, powers)
                series.append({
                    "name": POWER_NAMES.get(power, power), "type": "line", "stack": iso3,
                    "data": _points(rows, column), "xAxisIndex": len(upper) + k,
                    "yAxisIndex": len(upper) + k, "showSymbol": False, "color": color,
                    "lineStyle": {"width": 0}, "areaStyle": {"color": color, "opacity": 0.9},
                })  # fmt: skip
    return {
        "animation": False,
        "title": titles,
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0, "textStyle": {"fontSize": 10}},
        "grid": grids,
        "xAxis": x_axes,
        "yAxis": y_axes,
        "series": series,
    }
