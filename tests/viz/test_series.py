"""Time-series panels find their columns by prefix and tolerate missing ones."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from multipolar.viz.echarts import series_option  # noqa: E402
from multipolar.viz.series import (  # noqa: E402
    plot_alignment,
    plot_ca_shares,
    plot_polarity,
    plot_rivalry,
    pretty_label,
    share_columns,
)

DATES = [dt.date(2023, m, 1) for m in (1, 2, 3)]


def _frame(**columns: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"step": [0, 1, 2], "date": DATES, **columns})


def test_per_domain_shares_are_preferred_and_combined_ones_are_the_fallback() -> None:
    frame = _frame(
        ca_share_RUS_security=[0.5] * 3,
        ca_share_RUS_economy=[0.4] * 3,
        ca_share_RUS=[0.45] * 3,
        ca_share_CHN=[0.5] * 3,
    )
    found = share_columns(frame, ["RUS", "CHN", "USA"])
    assert found == {
        ("RUS", "security"): "ca_share_RUS_security",
        ("RUS", "economy"): "ca_share_RUS_economy",
        ("CHN", "all"): "ca_share_CHN",
    }


def test_labels() -> None:
    assert pretty_label("rivalry_rus_chn_ca") == "rivalry RUS–CHN"
    assert pretty_label("rivalry_rus_chn_ca_security") == "rivalry RUS–CHN (security)"
    assert pretty_label("partnership_rus_chn") == "partnership RUS–CHN"


def test_panels_draw_what_exists_and_skip_what_does_not() -> None:
    frame = _frame(ca_share_RUS=[0.5, 0.5, 0.6], rivalry_rus_chn_ca=[0.9, 0.8, 0.7])
    fig = Figure()
    a, b, c = fig.subplots(1, 3)
    plot_ca_shares(a, frame, ["RUS", "CHN"])
    plot_rivalry(b, frame, {"RUS-CHN": 0.6})
    plot_polarity(c, frame)  # no polarity columns at all
    assert len(a.lines) == 1 and len(b.lines) == 2 and len(c.lines) == 0
    states = pl.DataFrame(
        {"step": [0, 1], "date": DATES[:2], "iso3": ["KAZ", "KAZ"], "align_RUS": [0.6, 0.7],
         "align_CHN": [0.4, 0.3]}
    )  # fmt: skip
    axes = Figure().subplots(1, 2)
    plot_alignment(list(axes), states, ["RUS", "CHN"], ["KAZ", "UZB"])
    assert len(axes[0].collections) == 2  # two stacked areas
    assert axes[1].texts[0].get_text() == "no data"


def test_echarts_option_has_one_series_per_found_column() -> None:
    frame = _frame(
        ca_share_RUS_security=[0.5] * 3,
        ca_share_RUS_economy=[0.4] * 3,
        rivalry_rus_chn_ca=[0.9] * 3,
        partnership_rus_chn=[0.6] * 3,
        polarity_n_eff=[2.0] * 3,
        bloc_polarization=[0.4] * 3,
    )
    states = pl.DataFrame({"step": [0], "date": DATES[:1], "iso3": ["KAZ"], "align_RUS": [1.0]})
    option = series_option(frame, states, ["RUS"], ["KAZ"])
    names = [s["name"] for s in option["series"]]
    assert names == [
        "Russia, security",
        "Russia, economy",
        "rivalry RUS–CHN",
        "partnership RUS–CHN",
        "effective poles",
        "bloc polarization",
        "Russia",
    ]
    assert option["series"][0]["data"][0] == ["2023-01-01", 0.5]
    assert len(option["grid"]) == 4 + 1  # four upper panels, one per republic
