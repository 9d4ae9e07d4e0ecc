"""The influence map's arithmetic: leading power, margin, colours, and the outlines."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from multipolar.viz import outlines  # noqa: E402
from multipolar.viz.maps import (  # noqa: E402
    MapData,
    StateMarker,
    draw_channel_map,
    draw_leading_map,
    leading_power,
    leading_rgb,
)
from multipolar.viz.style import mix_colors, power_colors  # noqa: E402

BOUNDS = (40.0, 100.0, 28.0, 58.0)


def _two_halves(rng: np.random.Generator) -> MapData:
    """RUS holds the west (both domains), CHN the east; USA a little everywhere."""
    h, w = 30, 60
    fields = np.full((6, h, w), 0.05)
    fields[0:2, :, : w // 2] = 1.0 + rng.random((2, h, w // 2))  # RUS.security, RUS.economy
    fields[2:4, :, w // 2 :] = 1.0 + rng.random((2, h, w // 2))  # CHN
    channels = (
        "RUS.security",
        "RUS.economy",
        "CHN.security",
        "CHN.economy",
        "USA.security",
        "USA.economy",
    )
    return MapData(fields, channels, BOUNDS)


def test_leading_power_and_margin_from_domain_shares() -> None:
    data = _two_halves(np.random.default_rng(1))
    lead, margin, present = leading_power(data)
    assert present.all()
    assert (lead[:, :30] == 0).all() and (lead[:, 30:] == 1).all()
    stacked = data.stacked()
    shares = (stacked / stacked.sum(axis=0)).mean(axis=1)  # (P, H, W): mean of domain shares
    top2 = np.sort(shares, axis=0)[-2:]
    np.testing.assert_allclose(margin, top2[1] - top2[0])
    assert ((margin > 0) & (margin < 1)).all()


def test_an_uncontested_cell_is_saturated_and_a_contested_one_pale() -> None:
    fields = np.zeros((4, 1, 2))
    fields[0:2, 0, 0] = 1.0  # A alone in cell 0
    fields[:, 0, 1] = 1.0  # A and B equal in cell 1
    data = MapData(fields, ("A.security", "A.economy", "B.security", "B.economy"), BOUNDS)
    lead, margin, _ = leading_power(data)
    assert margin[0, 0] == pytest.approx(1.0) and margin[0, 1] == pytest.approx(0.0)
    rgb = leading_rgb(data)
    a_colour = power_colors(["A", "B"])[0]
    distance_full = np.abs(rgb[0, 0] - a_colour).max()
    distance_pale = np.abs(rgb[0, 1] - a_colour).max()
    assert distance_pale > distance_full + 0.2


def test_no_influence_is_white_on_land() -> None:
    fields = np.zeros((2, 4, 4))
    data = MapData(fields, ("A.security", "A.economy"), (60.0, 64.0, 44.0, 48.0))  # Kazakhstan
    assert data.land().all()
    _, _, present = leading_power(data)
    assert not present.any()
    np.testing.assert_allclose(leading_rgb(data), 1.0)


def test_alignment_colour_is_the_weighted_mix() -> None:
    colours = power_colors(["RUS", "CHN"])
    np.testing.assert_allclose(mix_colors(np.array([1.0, 0.0]), ["RUS", "CHN"]), colours[0])
    np.testing.assert_allclose(
        mix_colors(np.array([0.5, 0.5]), ["RUS", "CHN"]), colours.mean(axis=0)
    )


def test_outlines_cover_the_region() -> None:
    codes = {code for code, _ in outlines.country_rings()}
    assert {"KAZ", "KGZ", "TJK", "TKM", "UZB", "CHN", "RUS"} <= codes
    lon, lat = outlines.capitals()["KAZ"]
    assert 70 < lon < 73 and 50 < lat < 52  # Astana
    mask = outlines.land_mask(BOUNDS, (120, 240))
    assert 0.5 < mask.mean() < 1.0  # mostly land, with the Caspian and the Gulf as sea


def test_maps_draw_borders_states_and_a_legend() -> None:
    data = _two_halves(np.random.default_rng(2))
    marker = StateMarker("KAZ", 71.4, 51.2, {"RUS": 0.5, "CHN": 0.3, "USA": 0.2}, ("CSTO",))
    fig = Figure()
    ax = fig.add_subplot()
    draw_leading_map(ax, data, [marker])
    assert [t.get_text() for t in ax.texts] == ["KAZ"]
    assert len(ax.collections) >= 3  # borders, basins, pies
    fig2 = Figure()
    ax2 = fig2.add_subplot()
    image = draw_channel_map(ax2, data, "CHN.economy")
    assert image.norm.vmax == pytest.approx(data.channel("CHN.economy").max())
    assert image.norm.vmin > 0  # a tiny positive floor, never zero on a log scale
