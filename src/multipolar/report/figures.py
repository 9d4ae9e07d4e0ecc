"""The report's figures, each drawn from a :class:`RunData` on its own matplotlib ``Figure``.

``FIGURES`` names every figure with its size in inches; :func:`draw_figures` writes them as PNG
at ``DPI``. Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so drawing is
safe next to a running browser view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from multipolar.report.rundir import RunData
from multipolar.report.timeline import WATCHED, membership_intervals
from multipolar.viz.maps import channel_norm, draw_channel_map, draw_leading_map
from multipolar.viz.series import (
    CENTRAL_ASIA,
    plot_alignment,
    plot_ca_shares,
    plot_polarity,
    plot_rivalry,
)
from multipolar.viz.style import ORGANIZATION_COLORS, POWER_NAMES, power_color, rc_params

__all__ = ["DPI", "FIGURES", "FigureSpec", "draw_figures", "republics", "run_window"]

DPI = 200


@dataclass(frozen=True)
class FigureSpec:
    """A report figure: its file stem, size in inches, caption and drawing function."""

    name: str
    size: tuple[float, float]
    caption: str
    draw: Callable[[Figure, RunData], None]


def run_window(run: RunData) -> tuple[dt.date, dt.date]:
    """First and last dates of the run (from the model table, else the scenario)."""
    if run.model.height and "date" in run.model.columns:
        return run.model["date"].min(), run.model["date"].max()  # type: ignore[return-value]
    window = run.scenario.get("run", {})
    return dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])


def _no_fields(fig: Figure) -> None:
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "this run has no fields_final.npz", ha="center", va="center")
    ax.set_axis_off()


def _leading(fig: Figure, run: RunData) -> None:
    if run.fields is None:
        _no_fields(fig)
        return
    ax = fig.add_subplot()
    draw_leading_map(ax, run.fields, run.final_markers())
    _, last = run_window(run)
    ax.set_title(f"Leading power and its margin, {last:%B %Y}", loc="left")
    handles = [
        Patch(color=power_color(p, run.powers), label=POWER_NAMES.get(p, p)) for p in run.powers
    ]
    ax.legend(
        handles=handles,
        title="pies: alignment",
        loc="upper right",
        fontsize=6.5,
        title_fontsize=6.5,
        frameon=True,
        framealpha=0.85,
        edgecolor="none",
    )


def _influence(fig: Figure, run: RunData) -> None:
    if run.fields is None:
        _no_fields(fig)
        return
    data = run.fields
    powers, domains = data.powers, data.domains
    axes = fig.subplots(len(powers), len(domains), squeeze=False, sharex=True, sharey=True)
    cmap = matplotlib.colormaps["viridis"]
    for j, domain in enumerate(domains):
        column = np.stack(
            [data.channel(f"{p}.{domain}") for p in powers if f"{p}.{domain}" in data.channels]
        )
        norm = channel_norm(column)
        image = None
        for i, power in enumerate(powers):
            ax = axes[i, j]
            channel = f"{power}.{domain}"
            if channel not in data.channels:
                ax.set_axis_off()
                continue
            image = draw_channel_map(
                ax, data, channel, norm=norm, cmap=cmap, basins=False, colorbar=False
            )
            ax.set_title(f"{POWER_NAMES.get(power, power)}, {domain}", loc="left")
            for collection in ax.collections:
                collection.set_color("white")
                collection.set_alpha(0.7)
        if image is not None:
            bar = fig.colorbar(
                image,
                ax=list(axes[:, j]),
                orientation="horizontal",
                shrink=0.8,
                pad=0.04,
                aspect=35,
            )
            bar.set_label(f"{domain} influence (log scale, common to the column)", fontsize=7)
    _, last = run_window(run)
    fig.suptitle(f"Final influence fields, {last:%B %Y}", x=0.02, ha="left", fontsize=9.5)


def _shares(fig: Figure, run: RunData) -> None:
    plot_ca_shares(fig.add_subplot(), run.model, run.powers)


def _rivalry(fig: Figure, run: RunData) -> None:
    partnership = run.scenario.get("partnership") or {}
    watched = run.scenario.get("metrics", {}).get("rivalry_pair") or []
    pairs = {
        k: v for k, v in partnership.items() if not watched or set(k.split("-")) == set(watched)
    }
    plot_rivalry(fig.add_subplot(), run.model, pairs)


def _polarity(fig: Figure, run: RunData) -> None:
    plot_polarity(fig.add_subplot(), run.model)


def republics(run: RunData) -> list[str]:
    """The focus states of the run's scenario (the five Central Asian republics by default)."""
    states = run.scenario.get("states") or {}
    focus = run.scenario.get("metrics", {}).get("focus_role", "central_asia")
    found = [iso3 for iso3, spec in states.items() if spec.get("role") == focus]
    return found or list(CENTRAL_ASIA)


def _alignment(fig: Figure, run: RunData) -> None:
    focus = republics(run)
    axes = fig.subplots(1, len(focus), sharey=True, squeeze=False)[0]
    plot_alignment(list(axes), run.states, run.powers, focus)
    names = {
        iso3: (spec or {}).get("name", iso3)
        for iso3, spec in run.scenario.get("states", {}).items()
    }
    for ax, iso3 in zip(axes, focus, strict=False):
        ax.set_title(names.get(iso3, iso3))
    for ax in axes[1:]:
        ax.tick_params(labelleft=False)
    handles = [
        Patch(color=power_color(p, run.powers), label=POWER_NAMES.get(p, p)) for p in run.powers
    ]
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=7)
    fig.suptitle("Alignment of the Central Asian republics", x=0.02, ha="left", fontsize=9)


def _event_label(row: dict) -> str:
    """A short label for a dated non-membership event: ``RUS: treaty withdraw CFE``."""
    kind = str(row.get("kind", "")).replace("_", " ")
    subject, detail = row.get("subject") or "", row.get("detail") or ""
    return f"{subject}: {kind} {detail}".strip(": ")


def _other_events(ax, strip, run: RunData, x0: np.datetime64, x1: np.datetime64) -> None:
    """Dated events other than membership changes: dotted lines and staggered labels below."""
    strip.set_axis_off()
    if run.events.height == 0 or "kind" not in run.events.columns:
        return
    other = run.events.filter(~run.events["kind"].is_in(["join", "leave", "suspend", "resume"]))
    if "cause" in other.columns:
        other = other.filter(other["cause"] != "initial")
    level = 0
    for row in other.sort("date").iter_rows(named=True):
        when = np.datetime64(row["date"], "D")
        if not x0 <= when <= x1:
            continue
        ax.axvline(when, color="#888888", lw=0.5, ls=":", zorder=0)
        y = 0.9 - 0.2 * (level % 5)
        strip.plot([when, when], [y, 1.0], color="#888888", lw=0.5, ls=":")
        strip.annotate(
            _event_label(row),
            (when, y),
            fontsize=5.5,
            color="#444444",
            va="center",
            ha="left",
            xytext=(2, 0),
            textcoords="offset points",
        )
        level += 1
    strip.set_ylim(0.0, 1.0)


def _memberships(fig: Figure, run: RunData) -> None:
    start, end = run_window(run)
    intervals, markers = membership_intervals(run.scenario, run.events, end)
    ax, strip = fig.subplots(2, 1, sharex=True, height_ratios=[9.0, 1.5])
    rows: list[tuple[str, str]] = []
    for org in WATCHED:
        states = sorted(
            {i.state for i in intervals if i.organization == org},
            key=lambda s: min(i.start for i in intervals if i.organization == org and i.state == s),
        )
        rows += [(org, s) for s in states]
    index = {row: k for k, row in enumerate(rows)}
    x0 = np.datetime64(start, "D")
    x1 = np.datetime64(end, "D")
    for interval in intervals:
        y = index[(interval.organization, interval.state)]
        color = ORGANIZATION_COLORS.get(interval.organization, "#777777")
        left = max(np.datetime64(interval.start, "D"), x0)
        right = min(np.datetime64(interval.end, "D"), x1)
        if right <= left:
            continue
        suspended = interval.status == "suspended"
        ax.barh(
            y,
            right - left,
            left=left,
            height=0.62,
            color="white" if suspended else color,
            edgecolor=color,
            hatch="////" if suspended else None,
            linewidth=0.6,
        )
        if np.datetime64(interval.start, "D") < x0:
            ax.annotate(
                f"since {interval.start.year}",
                (left, y),
                xytext=(2, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=5.5,
                color="white" if not suspended else color,
            )
    for marker in markers:
        when = np.datetime64(marker.date, "D")
        if not x0 <= when <= x1:
            continue
        y = index[(marker.organization, marker.state)]
        ax.plot(
            when,
            y,
            marker="D" if marker.cause != "rule" else "o",
            ms=4.5,
            mfc="black" if marker.cause != "rule" else "white",
            mec="black",
            mew=0.8,
            zorder=5,
        )
        ax.annotate(
            f"{marker.action} {marker.date:%Y-%m-%d}",
            (when, y),
            xytext=(4, 3.5),
            textcoords="offset points",
            fontsize=5.5,
            va="bottom",
        )
    _other_events(ax, strip, run, x0, x1)
    ax.set_yticks(range(len(rows)), [f"{s}" for _, s in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(x0, x1)
    ax.tick_params(axis="x", labelbottom=True)
    ax.tick_params(axis="y", length=0, labelsize=6.5)
    previous = None
    for k, (org, _) in enumerate(rows):
        if org != previous:
            if k:
                ax.axhline(k - 0.5, color="#bbbbbb", lw=0.5)
            ax.annotate(
                org,
                (1.005, k - 0.35),
                xycoords=("axes fraction", "data"),
                fontsize=7,
                fontweight="bold",
                color=ORGANIZATION_COLORS.get(org, "#555555"),
                va="top",
            )
            previous = org
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    ax.set_title("Memberships (◆ dated event, ○ membership rule, hatched: suspended)", loc="left")
    ax.spines["left"].set_visible(False)


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "leading_power",
        (7.0, 4.2),
        "Leading power (hue) and its margin (intensity) at the end of the run;"
        " pies show each state's alignment.",
        _leading,
    ),
    FigureSpec(
        "influence_maps",
        (7.0, 6.6),
        "Final influence fields per power and domain (log scale shared within a column).",
        _influence,
    ),
    FigureSpec(
        "ca_shares",
        (5.0, 3.0),
        "Each power's share of the influence over Central Asia, by domain.",
        _shares,
    ),
    FigureSpec(
        "rivalry",
        (5.0, 3.0),
        "Russia–China rivalry index over Central Asia and their partnership.",
        _rivalry,
    ),
    FigureSpec(
        "polarity", (5.0, 3.0), "Effective number of poles and bloc polarization.", _polarity
    ),
    FigureSpec(
        "alignment",
        (7.0, 2.4),
        "Alignment of the five Central Asian republics over the great powers.",
        _alignment,
    ),
    FigureSpec(
        "memberships",
        (7.0, 5.4),
        "Memberships of NATO, the CSTO, the SCO and the EAEU, with dated changes.",
        _memberships,
    ),
)


def draw_figures(run: RunData, out: Path) -> dict[str, Path]:
    """Draw every figure of ``FIGURES`` into ``out`` as ``<name>.png``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    with matplotlib.rc_context(rc_params()):
        for spec in FIGURES:
            fig = Figure(figsize=spec.size, layout="constrained")
            spec.draw(fig, run)
            path = out / f"{spec.name}.png"
            fig.savefig(path, dpi=DPI)
            written[spec.name] = path
    return written
