"""A figure of each Central Asian republic's modelled alignment with the real events marked.

Made only when matplotlib is installed (it is an optional dependency).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from multipolar.backtest.data import HistoryData

__all__ = ["REPUBLICS", "alignment_figure", "have_matplotlib"]

REPUBLICS = ("KAZ", "KGZ", "TJK", "TKM", "UZB")
_COLOURS = {"RUS": "tab:red", "CHN": "tab:orange", "USA": "tab:blue"}


def have_matplotlib() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _mean_alignment(runs: Sequence[pl.DataFrame], iso3: str) -> pl.DataFrame:
    frames = [r.filter(pl.col("iso3") == iso3) for r in runs]
    stacked = pl.concat(frames)
    powers = [c for c in stacked.columns if c.startswith("align_")]
    return (
        stacked.group_by("date")
        .agg(
            [pl.col(c).mean().alias(c) for c in powers]
            + [pl.col(c).min().alias(f"{c}_min") for c in powers]
            + [pl.col(c).max().alias(f"{c}_max") for c in powers]
        )
        .sort("date")
    )


def alignment_figure(runs: Sequence[pl.DataFrame], history: HistoryData, path: Path) -> Path | None:
    """Draw one panel per republic (mean over seeds, min-max band); None without matplotlib."""
    if not have_matplotlib():
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(REPUBLICS), 1, figsize=(10, 2.4 * len(REPUBLICS)), sharex=True)
    for ax, iso3 in zip(axes, REPUBLICS, strict=True):
        frame = _mean_alignment(runs, iso3)
        means = [
            c for c in frame.columns if c.startswith("align_") and not c.endswith(("_min", "_max"))
        ]
        for column in means:
            power = column.removeprefix("align_")
            colour = _COLOURS.get(power)
            ax.plot(frame["date"], frame[column], color=colour, label=power)
            ax.fill_between(
                frame["date"],
                frame[f"{column}_min"],
                frame[f"{column}_max"],
                color=colour,
                alpha=0.15,
                linewidth=0,
            )
        for target in history.targets:
            if target.occurred and target.state == iso3:
                ax.axvline(target.date, color="black", linestyle=":", linewidth=0.8)
                ax.annotate(
                    f"{target.change} {target.organization}",
                    (target.date, 0.98),
                    rotation=90,
                    fontsize=6,
                    va="top",
                    ha="right",
                )
        for shift in history.shifts:
            if iso3 in shift.states:
                ax.axvspan(shift.start, shift.end, color="grey", alpha=0.12)
        ax.set_ylim(0, 1)
        ax.set_ylabel(iso3)
    axes[0].legend(loc="upper right", ncol=3, fontsize=7)
    axes[0].set_title(
        "Modelled alignment (mean over seeds, band: min-max); dotted: real membership "
        "changes; grey: documented shifts",
        fontsize=8,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
