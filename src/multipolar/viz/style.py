"""Colours and line styles shared by the browser view and the report figures.

Each great power keeps one hue everywhere (map, plots, alignment pies), so a reader learns
the legend once. Powers the palette does not name get a colour from a fixed qualitative list.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import to_rgb

__all__ = [
    "DOMAIN_STYLES",
    "ORGANIZATION_COLORS",
    "POWER_NAMES",
    "mix_colors",
    "power_color",
    "power_colors",
    "rc_params",
]

_POWER_COLORS = {"RUS": "#c62828", "CHN": "#e69f00", "USA": "#1f5fa8"}
_FALLBACK = ("#009e73", "#8e44ad", "#56b4e9", "#d55e00", "#7f7f7f", "#cc79a7")
POWER_NAMES = {"RUS": "Russia", "CHN": "China", "USA": "United States"}
DOMAIN_STYLES = {"security": "-", "economy": "--"}
ORGANIZATION_COLORS = {"NATO": "#1f5fa8", "CSTO": "#c62828", "SCO": "#e69f00", "EAEU": "#7b3f99"}


def power_color(power: str, order: Sequence[str] = ()) -> str:
    """The hex colour of a power; unnamed powers take fallback colours by their position."""
    if power in _POWER_COLORS:
        return _POWER_COLORS[power]
    others = [p for p in order if p not in _POWER_COLORS] or [power]
    index = others.index(power) if power in others else 0
    return _FALLBACK[index % len(_FALLBACK)]


def power_colors(powers: Sequence[str]) -> np.ndarray:
    """RGB rows (P, 3) in [0, 1] for a list of powers."""
    return np.array([to_rgb(power_color(p, powers)) for p in powers])


def mix_colors(weights: np.ndarray, powers: Sequence[str]) -> tuple[float, float, float]:
    """The colour of an alignment: the powers' colours averaged by the alignment weights."""
    w = np.clip(np.asarray(weights, dtype=float), 0.0, None)
    total = w.sum()
    if total <= 0:
        return (0.6, 0.6, 0.6)
    rgb = (w / total) @ power_colors(powers)
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


def rc_params() -> dict[str, object]:
    """Matplotlib settings for figures meant for a paper: small serif-free text, thin lines."""
    return {
        "font.size": 8.5,
        "axes.titlesize": 9,
        "axes.labelsize": 8.5,
        "legend.fontsize": 7.5,
        "xtick.labelsize": 7.5,
        "ytick.labelsize": 7.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.6,
        "lines.linewidth": 1.3,
        "legend.frameon": False,
        "figure.dpi": 100,
        "savefig.dpi": 200,
    }
