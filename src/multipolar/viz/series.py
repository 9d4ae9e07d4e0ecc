"""Time-series panels of a run, drawn from its tables (a live model's or a run directory's).

Columns are found by prefix and missing ones are skipped, so the panels keep working while the
model's metrics grow: ``ca_share_<P>_security`` / ``ca_share_<P>_economy`` (else the combined
``ca_share_<P>``), ``rivalry_*``, ``partnership_*``, ``polarity_n_eff``, ``bloc_polarization``,
``tripolar_*``, and ``align_<P>`` per state in the states table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

from multipolar.viz.style import DOMAIN_STYLES, POWER_NAMES, power_color

__all__ = [
    "CENTRAL_ASIA",
    "plot_alignment",
    "plot_ca_shares",
    "plot_polarity",
    "plot_rivalry",
    "pretty_label",
    "share_columns",
]

CENTRAL_ASIA = ("KAZ", "KGZ", "TJK", "TKM", "UZB")


def _dates(frame: pl.DataFrame) -> np.ndarray:
    if "date" in frame.columns:
        dates = frame["date"]
        if dates.dtype == pl.String:
            dates = dates.str.to_date()
        return dates.to_numpy().astype("datetime64[D]")
    return frame["step"].to_numpy() if "step" in frame.columns else np.arange(frame.height)


def _date_axis(ax: Axes, maxticks: int = 7) -> None:
    locator = AutoDateLocator(minticks=2, maxticks=maxticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))


def _ends_axis(ax: Axes, x: np.ndarray) -> None:
    """Three ticks for a narrow panel: start, middle and end (years, or months if short)."""
    ax.set_xlim(x[0], x[-1])
    if x.dtype.kind != "M":
        return
    ticks = x[0] + (x[-1] - x[0]) * np.array([0.0, 0.5, 1.0])
    span_days = (x[-1] - x[0]).astype("timedelta64[D]").astype(int)
    fmt = "%Y" if span_days > 2 * 365 else "%Y-%m"
    ax.set_xticks(ticks, [t.astype("datetime64[D]").item().strftime(fmt) for t in ticks])


def _mark_now(ax: Axes, x: np.ndarray) -> None:
    if len(x) == 1:
        ax.axvline(x[0], color="#999999", lw=0.5)


def share_columns(frame: pl.DataFrame, powers: Sequence[str]) -> dict[tuple[str, str], str]:
    """``(power, domain) -> column`` for the Central Asia shares present in ``frame``.

    Per-domain columns (``ca_share_RUS_security``) are preferred; a power with none falls back
    to its combined column (``ca_share_RUS``) under the domain ``"all"``.
    """
    found: dict[tuple[str, str], str] = {}
    for power in powers:
        for domain in DOMAIN_STYLES:
            name = f"ca_share_{power}_{domain}"
            if name in frame.columns:
                found[(power, domain)] = name
        if not any(p == power for p, _ in found) and f"ca_share_{power}" in frame.columns:
            found[(power, "all")] = f"ca_share_{power}"
    return found


def plot_ca_shares(ax: Axes, frame: pl.DataFrame, powers: Sequence[str]) -> None:
    """Each power's share of the influence over Central Asia, by domain (solid/dashed)."""
    x = _dates(frame)
    for (power, domain), column in share_columns(frame, powers).items():
        label = POWER_NAMES.get(power, power) + ("" if domain == "all" else f", {domain}")
        ax.plot(
            x,
            frame[column].to_numpy(),
            color=power_color(power, powers),
            ls=DOMAIN_STYLES.get(domain, "-"),
            label=label,
            marker="o" if len(x) == 1 else None,
        )
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("share of influence")
    ax.set_title("Influence over Central Asia")
    _mark_now(ax, x)
    _date_axis(ax)
    ax.legend(
        ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=6.5, handlelength=2.2
    )


def pretty_label(column: str) -> str:
    """A legend label: ``rivalry_rus_chn_ca_security`` -> ``rivalry RUS–CHN (security)``.

    Country codes are upper-cased and joined, ``ca`` (Central Asia, the panel's subject) is
    dropped, a domain goes in parentheses, other words stay (``bloc polarization``).
    """
    words = column.split("_")
    codes = [w.upper() for w in words[1:] if len(w) == 3 and w.isalpha() and w != "eff"]
    rest = [w for w in words[1:] if w.upper() not in codes and w != "ca"]
    domains = [w for w in rest if w in DOMAIN_STYLES]
    plain = [w for w in rest if w not in DOMAIN_STYLES]
    label = " ".join([words[0], *plain]) + (" " + "–".join(codes) if codes else "")
    return label + (f" ({' '.join(domains)})" if domains else "")


def _domain_style(column: str) -> str | tuple:
    for domain, style in DOMAIN_STYLES.items():
        if column.endswith(domain):
            return style
    return "-"


def plot_rivalry(
    ax: Axes, frame: pl.DataFrame, partnership: dict[str, float] | None = None
) -> None:
    """The rivalry index over Central Asia and the partnership (recorded or given) per pair."""
    x = _dates(frame)
    rivalry = [c for c in frame.columns if c.startswith("rivalry_")]
    recorded = [c for c in frame.columns if c.startswith("partnership_")]
    for column in rivalry:
        ax.plot(
            x,
            frame[column].to_numpy(),
            color="#8a8a8a" if column.endswith(tuple(DOMAIN_STYLES)) else "#222222",
            ls=_domain_style(column),
            label=pretty_label(column),
            marker="o" if len(x) == 1 else None,
        )
    for column in recorded:
        ax.plot(x, frame[column].to_numpy(), color="#2a9d8f", lw=1.6, label=pretty_label(column))
    if not recorded:
        for pair, value in (partnership or {}).items():
            ax.axhline(value, color="#2a9d8f", lw=1.6, label=f"partnership {pair} (scenario)")
    ax.set_ylim(0.0, 1.05)
    ax.set_title("Rivalry and partnership")
    ax.set_ylabel("index")
    _mark_now(ax, x)
    _date_axis(ax)
    if rivalry or recorded or partnership:
        ax.legend(loc="lower left", fontsize=6.5)


def plot_polarity(ax: Axes, frame: pl.DataFrame) -> None:
    """Effective number of poles (left axis) and bloc/tripolar indices in [0, 1] (right axis)."""
    x = _dates(frame)
    lines = []
    if "polarity_n_eff" in frame.columns:
        lines += ax.plot(
            x,
            frame["polarity_n_eff"].to_numpy(),
            color="#264653",
            label="effective poles",
            marker="o" if len(x) == 1 else None,
        )
    ax.set_ylabel("effective number of poles")
    if lines:
        ax.set_ylim(1.0, None)
    indices = [c for c in frame.columns if c == "bloc_polarization" or c.startswith("tripolar_")]
    if indices:
        right = ax.twinx()
        right.spines["right"].set_visible(True)
        styles = iter(["--", ":", "-.", (0, (3, 1, 1, 1))])
        for column in indices:
            lines += right.plot(
                x,
                frame[column].to_numpy(),
                color="#e76f51",
                ls=next(styles, "--"),
                label=pretty_label(column),
            )
        right.set_ylim(0.0, 1.0)
        right.set_ylabel("index (0–1)")
    ax.set_title("Polarity")
    _mark_now(ax, x)
    _date_axis(ax)
    if lines:
        ax.legend(handles=lines, loc="lower left", fontsize=6.5)


def plot_alignment(
    axes: Sequence[Axes],
    states: pl.DataFrame,
    powers: Sequence[str],
    republics: Sequence[str] = CENTRAL_ASIA,
) -> None:
    """Stacked alignment of each republic over the powers, one panel per republic."""
    columns = [f"align_{p}" for p in powers if f"align_{p}" in states.columns]
    for ax, iso3 in zip(axes, republics, strict=False):
        rows = (
            states.filter(pl.col("iso3") == iso3).sort("step")
            if "iso3" in states.columns
            else states.clear()
        )
        ax.set_title(iso3)
        ax.set_ylim(0.0, 1.0)
        if rows.height == 0 or not columns:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            continue
        x = _dates(rows)
        values = np.vstack([rows[c].to_numpy() for c in columns])
        colors = [power_color(c.removeprefix("align_"), powers) for c in columns]
        if len(x) == 1:
            x = (
                np.array([x[0], x[0] + np.timedelta64(1, "D")])
                if x.dtype.kind == "M"
                else np.array([x[0], x[0] + 1])
            )
            values = np.repeat(values, 2, axis=1)
        ax.stackplot(x, values, colors=colors, alpha=0.9, linewidth=0)
        _ends_axis(ax, x)
    if axes:
        axes[0].set_ylabel("alignment")
