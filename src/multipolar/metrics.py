"""Model-level metrics, one column each in ``model.parquet`` (data dictionary in docs/model.md).

Pure functions of arrays, plus :func:`model_reporters`, which binds them to a model for the
DataCollector:

- ``polarity_n_eff``: ``1 / sum_p c_p^2`` over the great powers' capability shares.
- ``bloc_polarization``: how two-bloc the non-great-powers' alignments are (blocs from
  ``metrics.blocs``): ``delta * 4 pi_W pi_E / (pi_W + pi_E)^2`` with ``delta`` the mean
  ``|b_W - b_E|`` and ``pi`` the mean bloc weights.
- ``pole_share_<P>``, ``pole_n_eff``, ``pole_polarization``: the three-pole view, each power
  its own pole: the mean alignment with each power, ``1 / sum_p pole_share_p^2``, and
  ``mean_s (max_p a_s[p] - 1/n) / (1 - 1/n)`` (0 when every state hedges evenly, 1 when each
  is wholly aligned with one power).
- ``ca_share_<P>_<domain>``: P's share of the domain's influence summed over the focus
  states' territory (the five Central Asian republics); ``ca_share_<P>`` their mean.
- ``ca_alignment_<P>``: the focus states' mean alignment with P.
- ``ca_level_<domain>``: all powers' influence in the domain over the focus states'
  territory, as a mean density over the fixed reference density (a shock to any power
  shows here in absolute terms, where shares would hide a shock common to all).
- ``rivalry_<a>_<b>_ca``: the contest index of the watched pair (mechanism 5), the mean of
  ``rivalry_<a>_<b>_ca_<domain>``; ``partnership_<a>_<b>``: their partnership in force.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from multipolar.config import DOMAINS
from multipolar.mechanisms.partnership import contest, state_shares

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = [
    "bloc_polarization",
    "domain_shares",
    "model_reporters",
    "pole_view",
    "polarity_n_eff",
]


def polarity_n_eff(shares: np.ndarray) -> float:
    """Effective number of poles of a vector of shares summing to 1."""
    return float(1.0 / np.square(shares).sum())


def bloc_polarization(alignment: np.ndarray, west: list[int], east: list[int]) -> float:
    """How two-bloc a set of alignments (n_states, n_powers) is, in [0, 1]."""
    if alignment.size == 0:
        return 0.0
    w = alignment[:, west].sum(axis=1)
    e = alignment[:, east].sum(axis=1)
    pi_w, pi_e = w.mean(), e.mean()
    if pi_w + pi_e <= 0:
        return 0.0
    return float(np.abs(w - e).mean() * 4.0 * pi_w * pi_e / (pi_w + pi_e) ** 2)


def pole_view(alignment: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(pole shares, effective number of poles, polarization) of alignments (n_states, n)."""
    n = alignment.shape[1]
    if alignment.shape[0] == 0:
        return np.full(n, 1.0 / n), float(n), 0.0
    shares = alignment.mean(axis=0)
    decisive = (alignment.max(axis=1) - 1.0 / n) / (1.0 - 1.0 / n)
    return shares, polarity_n_eff(shares), float(decisive.mean())


def domain_shares(totals: np.ndarray) -> np.ndarray:
    """Each power's share of each domain's influence: (n_powers, 2) from summed influence."""
    per_domain = totals.sum(axis=0)
    return np.divide(totals, per_domain, out=np.zeros_like(totals), where=per_domain > 0)


def _followers(model: MultipolarModel) -> np.ndarray:
    rows = [s.alignment for s in model.states.values() if not s.is_great_power]
    return np.array(rows).reshape(-1, len(model.powers))


def _focus(model: MultipolarModel) -> list[str]:
    role = model.params.metrics.focus_role
    return [s for s, spec in model.params.states.items() if spec.role == role]


@dataclass(frozen=True)
class _Snapshot:
    """What the reporters share, computed once per collected step."""

    capability: np.ndarray
    shares: np.ndarray
    levels: np.ndarray
    focus_alignment: np.ndarray
    rivalry: np.ndarray
    followers: np.ndarray
    poles: tuple[np.ndarray, float, float]


def _snapshot(model: MultipolarModel, pair: tuple[int, int]) -> _Snapshot:
    key = (id(model), model.steps, model.date)
    cached = getattr(model, "_metrics_snapshot", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    focus = _focus(model)
    followers = _followers(model)
    snap = _Snapshot(
        capability=model.capabilities.capability_shares(model.params.capability.military_weight),
        shares=domain_shares(model.readings.totals(focus)),
        levels=model.readings.mean_level(focus),
        focus_alignment=np.array([model.states[s].alignment for s in focus]).reshape(
            -1, len(model.powers)
        ),
        rivalry=contest(state_shares(model.readings.influence(focus)), *pair),
        followers=followers,
        poles=pole_view(followers),
    )
    model._metrics_snapshot = (key, snap)
    return snap


def model_reporters(model: MultipolarModel) -> dict[str, Callable[[Any], Any]]:
    """The DataCollector's model reporters: one column per metric, in a stable order."""
    index = model.world.power_index
    blocs = list(model.params.metrics.blocs.values())[:2]
    a, b = model.params.metrics.rivalry_pair
    pair = f"{a.lower()}_{b.lower()}"

    def snap(m: MultipolarModel) -> _Snapshot:
        return _snapshot(m, (index[a], index[b]))

    reporters: dict[str, Callable[[Any], Any]] = {
        "date": lambda m: m.date.isoformat(),
        "polarity_n_eff": lambda m: polarity_n_eff(snap(m).capability),
        "bloc_polarization": lambda m: (
            bloc_polarization(
                snap(m).followers, [index[p] for p in blocs[0]], [index[p] for p in blocs[1]]
            )
            if len(blocs) == 2
            else 0.0
        ),
        "pole_n_eff": lambda m: snap(m).poles[1],
        "pole_polarization": lambda m: snap(m).poles[2],
    }
    for power, i in index.items():
        reporters[f"pole_share_{power}"] = lambda m, i=i: float(snap(m).poles[0][i])
    for j, domain in enumerate(DOMAINS):
        reporters[f"ca_level_{domain}"] = lambda m, j=j: float(snap(m).levels[:, j].sum())
    for power, i in index.items():
        reporters[f"ca_share_{power}"] = lambda m, i=i: float(snap(m).shares[i].mean())
        for j, domain in enumerate(DOMAINS):
            reporters[f"ca_share_{power}_{domain}"] = lambda m, i=i, j=j: float(
                snap(m).shares[i, j]
            )
        reporters[f"ca_alignment_{power}"] = lambda m, i=i: float(
            snap(m).focus_alignment[:, i].mean()
        )
    reporters[f"rivalry_{pair}_ca"] = lambda m: float(snap(m).rivalry.mean())
    for j, domain in enumerate(DOMAINS):
        reporters[f"rivalry_{pair}_ca_{domain}"] = lambda m, j=j: float(snap(m).rivalry[j])
    reporters[f"partnership_{pair}"] = lambda m: m.world.partnership_of(a, b)
    for power, i in index.items():
        reporters[f"capability_share_{power}"] = lambda m, i=i: float(snap(m).capability[i])
        reporters[f"security_budget_{power}"] = lambda m, i=i: float(m.last_budgets[i, 0])
        reporters[f"economy_budget_{power}"] = lambda m, i=i: float(m.last_budgets[i, 1])
    for code in model.organizations:
        reporters[f"cohesion_{code}"] = lambda m, code=code: float(m.organizations[code].cohesion)
        reporters[f"members_{code}"] = lambda m, code=code: len(m.memberships.members(code))
    return reporters
