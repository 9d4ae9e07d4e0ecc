"""The influence map: leading power by hue and margin by intensity, or one channel's heat map.

Both read a :class:`MapData` (the fields plus where they lie), made from a live model or from a
run directory's ``fields_final.npz``, and draw on a matplotlib ``Axes`` with country borders,
basin outlines and the states at their capitals (pies of their alignment).

The leading power of a cell compares the powers' *shares* of each domain's influence there,
averaged over the domains (as the model's ``ca_share`` metrics do), so that a large economic
budget does not drown the security domain; the margin is the leader's share minus the
runner-up's, from 0 (contested) to 1 (uncontested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import LinearSegmentedColormap, LogNorm
from matplotlib.patches import Circle, Rectangle, Wedge
from matplotlib.transforms import Affine2D

from multipolar.viz import outlines
from multipolar.viz.style import POWER_NAMES, power_color, power_colors

__all__ = [
    "MapData",
    "StateMarker",
    "draw_channel_map",
    "draw_leading_map",
    "draw_outlines",
    "draw_states",
    "leading_power",
    "leading_rgb",
]

SEA_RGB = np.array([0.86, 0.90, 0.94])
_FLOOR = 0.12  # intensity of a fully contested cell, so its hue still shows


@dataclass(frozen=True)
class MapData:
    """Influence fields over the region and where they lie.

    Attributes:
        fields: ``(K, H, W)`` array, row 0 north, one channel per ``"<power>.<domain>"``.
        channels: Channel names, in the order of ``fields``.
        bounds: ``(lon_min, lon_max, lat_min, lat_max)`` in degrees.
    """

    fields: np.ndarray
    channels: tuple[str, ...]
    bounds: tuple[float, float, float, float]

    @property
    def powers(self) -> list[str]:
        """The powers, in channel order."""
        return list(dict.fromkeys(c.split(".")[0] for c in self.channels))

    @property
    def domains(self) -> list[str]:
        """The domains, in channel order."""
        return list(dict.fromkeys(c.split(".", 1)[1] for c in self.channels))

    def channel(self, name: str) -> np.ndarray:
        """One channel's ``(H, W)`` field."""
        return self.fields[self.channels.index(name)]

    def stacked(self) -> np.ndarray:
        """The fields as ``(P, D, H, W)``: power by domain (missing channels are zero)."""
        p, d = self.powers, self.domains
        out = np.zeros((len(p), len(d), *self.fields.shape[1:]), dtype=np.float64)
        for k, name in enumerate(self.channels):
            power, domain = name.split(".", 1)
            out[p.index(power), d.index(domain)] = self.fields[k]
        return out

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The extent for ``imshow`` with ``origin="upper"``."""
        return self.bounds

    def land(self) -> np.ndarray:
        """Cells whose centre lies in a bundled country."""
        return outlines.land_mask(tuple(self.bounds), tuple(self.fields.shape[1:]))


@dataclass(frozen=True)
class StateMarker:
    """A state drawn at its capital: its alignment over the powers and its memberships."""

    iso3: str
    lon: float
    lat: float
    alignment: Mapping[str, float]
    memberships: tuple[str, ...] = field(default_factory=tuple)
    name: str = ""


def leading_power(data: MapData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: index of the leading power, its margin in [0, 1], and where any influence is.

    Returns:
        ``(lead, margin, present)``: int ``(H, W)`` indices into ``data.powers``, float margins,
        and a boolean mask of cells where some domain holds influence.
    """
    stacked = np.clip(data.stacked(), 0.0, None)
    totals = stacked.sum(axis=0)  # (D, H, W)
    shares = np.divide(stacked, totals, out=np.zeros_like(stacked), where=totals > 0)
    counted = (totals > 0).sum(axis=0)
    share = np.divide(
        shares.sum(axis=1), counted, out=np.zeros_like(shares[:, 0]), where=counted > 0
    )
    order = np.sort(share, axis=0)
    lead = np.argmax(share, axis=0)
    margin = order[-1] - (order[-2] if len(order) > 1 else 0.0)
    return lead, margin, counted > 0


def leading_rgb(data: MapData) -> np.ndarray:
    """``(H, W, 3)`` image: the leading power's colour, from pale (contested) to full (uncontested).

    Sea cells (centre in no bundled country) are shown in a light grey-blue.
    """
    lead, margin, present = leading_power(data)
    colors = power_colors(data.powers)
    alpha = (_FLOOR + (1.0 - _FLOOR) * np.clip(margin, 0.0, 1.0))[..., None]
    rgb = 1.0 - alpha * (1.0 - colors[lead])
    rgb[~present] = 1.0
    sea = ~data.land()
    rgb[sea] = 0.55 * rgb[sea] + 0.45 * SEA_RGB
    return rgb


def _frame(ax: Axes, data: MapData) -> None:
    lon_min, lon_max, lat_min, lat_max = data.bounds
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    ax.set_aspect(1.0 / np.cos(np.deg2rad(0.5 * (lat_min + lat_max))))
    ax.set_xticks(np.arange(np.ceil(lon_min / 10) * 10, lon_max + 1e-9, 10))
    ax.set_yticks(np.arange(np.ceil(lat_min / 10) * 10, lat_max + 1e-9, 10))
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}°E")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}°N")
    ax.tick_params(length=2, pad=1.5)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(0.5)


def draw_outlines(ax: Axes, *, basins: bool = True, border_color: str = "#3a3a3a") -> None:
    """Country borders (solid) and, optionally, basin outlines (dotted), as line collections."""
    borders = [ring for _, rings in outlines.country_rings() for ring in rings]
    ax.add_collection(LineCollection(borders, colors=border_color, linewidths=0.45, zorder=3))
    if basins:
        rings = [ring for _, group in outlines.basin_rings() for ring in group]
        ax.add_collection(
            LineCollection(
                rings, colors="#1b3a5c", linewidths=0.6, linestyles=(0, (1.2, 1.2)), zorder=3
            )
        )


def draw_states(
    ax: Axes,
    markers: Sequence[StateMarker],
    powers: Sequence[str],
    *,
    size: float = 5.5,
    labels: bool = True,
) -> None:
    """Each state at its capital as a pie of its alignment, labelled with its ISO3 code.

    The pies are one collection of wedges sized in points (round whatever the map's aspect);
    states whose capital lies outside the axes' limits are left out.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    wedges, colors, offsets = [], [], []
    shown = []
    for marker in markers:
        if not (x0 <= marker.lon <= x1 and y0 <= marker.lat <= y1):
            continue
        weights = np.array([max(marker.alignment.get(p, 0.0), 0.0) for p in powers])
        if weights.sum() <= 0:
            continue
        shown.append(marker)
        wedges.append(Circle((0.0, 0.0), size * 1.2))
        colors.append("white")
        offsets.append((marker.lon, marker.lat))
        edges = 90.0 + 360.0 * np.concatenate([[0.0], np.cumsum(weights / weights.sum())])
        for i, power in enumerate(powers):
            if edges[i + 1] - edges[i] < 0.5:
                continue
            wedges.append(Wedge((0.0, 0.0), size, edges[i], edges[i + 1]))
            colors.append(power_color(power, powers))
            offsets.append((marker.lon, marker.lat))
    if not wedges:
        return
    points = Affine2D().scale(1.0 / 72.0) + ax.figure.dpi_scale_trans
    ax.add_collection(
        PatchCollection(
            wedges,
            facecolors=colors,
            edgecolors="none",
            offsets=offsets,
            offset_transform=ax.transData,
            transform=points,
            zorder=6,
        ),
        autolim=False,
    )
    if labels:
        halo = [patheffects.withStroke(linewidth=1.8, foreground="white")]
        for marker in shown:
            ax.annotate(
                marker.iso3,
                (marker.lon, marker.lat),
                xytext=(0, -size - 1.5),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=6.5,
                fontweight="bold",
                color="#222222",
                path_effects=halo,
                zorder=7,
            )


def _margin_legend(ax: Axes, powers: Sequence[str]) -> None:
    """Hue and margin ramps, one per power, in the lower right corner on a white card."""
    height = 0.042 * len(powers)
    ax.add_patch(
        Rectangle(
            (0.745, 0.012), 0.248, height + 0.085, transform=ax.transAxes,
            facecolor="white", edgecolor="#999999", linewidth=0.4, alpha=0.9, zorder=8,
        )
    )  # fmt: skip
    inset = ax.inset_axes((0.76, 0.075, 0.1, height), zorder=9)
    ramp = np.linspace(0.0, 1.0, 64)
    alpha = _FLOOR + (1.0 - _FLOOR) * ramp
    colors = power_colors(powers)
    image = 1.0 - alpha[None, :, None] * (1.0 - colors[:, None, :])
    inset.imshow(image, aspect="auto", extent=(0, 1, len(powers), 0), interpolation="nearest")
    inset.yaxis.tick_right()
    inset.set_yticks(np.arange(len(powers)) + 0.5, [POWER_NAMES.get(p, p) for p in powers])
    inset.set_xticks([0, 1], ["0", "1"])
    inset.tick_params(length=1.5, labelsize=5.5, pad=1)
    inset.set_xlabel("lead margin", fontsize=5.5, labelpad=0.5)
    for spine in inset.spines.values():
        spine.set_linewidth(0.4)


def draw_leading_map(
    ax: Axes,
    data: MapData,
    markers: Sequence[StateMarker] = (),
    *,
    basins: bool = True,
    legend: bool = True,
) -> None:
    """The leading-power map with borders, basins, states and a hue/margin legend."""
    ax.imshow(leading_rgb(data), extent=data.extent, origin="upper", interpolation="nearest")
    _frame(ax, data)
    draw_outlines(ax, basins=basins)
    draw_states(ax, markers, data.powers)
    if legend:
        _margin_legend(ax, data.powers)


def channel_cmap(power: str, powers: Sequence[str] = ()) -> LinearSegmentedColormap:
    """White to the power's colour to near black: one power's heat map in its own hue."""
    return LinearSegmentedColormap.from_list(
        f"heat_{power}", ["#ffffff", power_color(power, powers), "#1a1a1a"]
    )


def channel_norm(values: np.ndarray, decades: float = 3.0) -> LogNorm:
    """A log scale spanning ``decades`` below the field's maximum (tiny positive floor)."""
    top = float(np.nanmax(values)) if values.size else 0.0
    top = top if np.isfinite(top) and top > 0 else 1e-9
    return LogNorm(vmin=top * 10.0**-decades, vmax=top, clip=True)


def draw_channel_map(
    ax: Axes,
    data: MapData,
    channel: str,
    markers: Sequence[StateMarker] = (),
    *,
    norm: LogNorm | None = None,
    cmap: object = None,
    basins: bool = True,
    colorbar: bool = True,
) -> object:
    """One channel's influence as a log-scaled heat map; returns the image for a colourbar."""
    values = data.channel(channel)
    power = channel.split(".")[0]
    norm = norm or channel_norm(values)
    floor = np.maximum(values, norm.vmin)
    image = ax.imshow(
        floor,
        extent=data.extent,
        origin="upper",
        interpolation="nearest",
        norm=norm,
        cmap=cmap or channel_cmap(power, data.powers),
    )
    _frame(ax, data)
    draw_outlines(ax, basins=basins)
    if markers:
        draw_states(ax, markers, data.powers, size=4.5)
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.8, pad=0.015)
        bar.set_label(f"{channel} influence (log scale)", fontsize=7)
        bar.ax.tick_params(labelsize=6.5)
    return image
