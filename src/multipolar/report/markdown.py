"""``report.md``: the run's headline numbers, its provenance and the figures, in Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from multipolar.report.figures import FIGURES, run_window
from multipolar.report.rundir import RunData
from multipolar.report.timeline import membership_intervals
from multipolar.viz.series import share_columns
from multipolar.viz.style import POWER_NAMES

__all__ = ["headline", "render"]


def _last(frame: pl.DataFrame, column: str) -> float | None:
    if column not in frame.columns or frame.height == 0:
        return None
    value = frame[column][-1]
    return None if value is None else float(value)


def _first(frame: pl.DataFrame, column: str) -> float | None:
    if column not in frame.columns or frame.height == 0:
        return None
    value = frame[column][0]
    return None if value is None else float(value)


def headline(run: RunData) -> list[tuple[str, float | None, float | None]]:
    """(label, value at the start, value at the end) for the run's headline metrics."""
    rows: list[tuple[str, float | None, float | None]] = []
    for (power, domain), column in share_columns(run.model, run.powers).items():
        name = POWER_NAMES.get(power, power)
        owner = f"{name}'" if name.endswith("s") else f"{name}'s"
        label = f"{owner} share of influence over Central Asia" + (
            "" if domain == "all" else f" ({domain})"
        )
        rows.append((label, _first(run.model, column), _last(run.model, column)))
    for column in run.model.columns:
        if column.startswith(("rivalry_", "partnership_", "tripolar_")) or column in (
            "polarity_n_eff",
            "bloc_polarization",
        ):
            rows.append((f"`{column}`", _first(run.model, column), _last(run.model, column)))
    return rows


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _provenance(run: RunData) -> list[str]:
    manifest: Mapping = run.manifest
    scenario = run.scenario
    versions = manifest.get("versions") or {}
    start, end = run_window(run)
    lines = [
        f"- run directory: `{run.path}`",
        f"- scenario: `{scenario.get('name', '?')}`: {scenario.get('description', '')}",
        f"- period: {start} to {end} ({manifest.get('steps', '?')} monthly steps)",
        f"- seed: {manifest.get('seed', '?')}; backend: {manifest.get('backend', '?')}",
        f"- written: {manifest.get('written', '?')}; git revision: "
        f"`{manifest.get('git_revision') or 'unknown'}`",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
    ]
    if scenario.get("name"):
        lines.append(
            f"- to reproduce: `multipolar run {scenario['name']} --seed {manifest.get('seed')}"
            f" --backend {manifest.get('backend')} --steps {manifest.get('steps')}`"
            " at the git revision above (a bundled scenario's name; the fully resolved scenario,"
            " overrides included, is in `manifest.json`)"
        )
    return lines


def _states_table(run: RunData, republics: list[str]) -> list[str]:
    markers = {m.iso3: m for m in run.final_markers()}
    powers = run.powers
    lines = [
        "| state | " + " | ".join(POWER_NAMES.get(p, p) for p in powers) + " | memberships |",
        "|---|" + "---:|" * len(powers) + "---|",
    ]
    for iso3 in republics:
        marker = markers.get(iso3)
        if marker is None:
            continue
        values = " | ".join(f"{marker.alignment.get(p, 0.0):.2f}" for p in powers)
        lines.append(
            f"| {marker.name or iso3} | {values} | {', '.join(marker.memberships) or '–'} |"
        )
    return lines


def render(run: RunData, figures: Mapping[str, Path], out: Path, republics: list[str]) -> str:
    """The Markdown text of the report, with figure links relative to ``out``."""
    scenario = run.scenario
    _, end = run_window(run)
    lines = [f"# Run report: {scenario.get('name', run.path.name)}", ""]
    lines += ["## Headline numbers", "", "| metric | start | end |", "|---|---:|---:|"]
    lines += [f"| {label} | {_fmt(a)} | {_fmt(b)} |" for label, a, b in headline(run)]
    lines += ["", f"Alignment at the end of the run ({end}):", ""]
    lines += _states_table(run, republics)
    _, markers = membership_intervals(scenario, run.events, end)
    start, _ = run_window(run)
    changes = [m for m in markers if m.date >= start]
    if changes:
        lines += ["", "Changes of membership during the run:", ""]
        lines += [
            f"- {m.date}: {m.state} {m.action}s {m.organization} (by {m.cause})" for m in changes
        ]
    lines += ["", "## Provenance", "", *_provenance(run), "", "## Figures", ""]
    captions = {spec.name: spec.caption for spec in FIGURES}
    for name, path in figures.items():
        relative = path.relative_to(out) if path.is_relative_to(out) else path
        lines += [
            f"![{captions.get(name, name)}]({relative.as_posix()})",
            "",
            f"*{captions.get(name, name)}*",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
