"""Model-level metrics of DESIGN §6, computed from the model's current state.

- ``polarity_n_eff``: 1 / sum of squared capability shares among the great powers
  (2 = bipolar, 3 = three equal poles).
- ``bloc_polarization``: for two blocs W and E (scenario ``metrics.blocs``), with ``b_W``
  and ``b_E`` each non-great-power state's alignment with each bloc, mean bloc weights
  ``pi_W``, ``pi_E`` and decisiveness ``delta = mean |b_W - b_E|``:
  ``delta * 4 * pi_W * pi_E / (pi_W + pi_E)^2``. It is 1 when the states split into two
  equal camps, each wholly aligned with one bloc, and 0 when all hedge evenly or all stand
  with one bloc.
- ``ca_share_<P>``: power P's share of the influence summed over the focus states' territory
  (the five Central Asian republics by default), the mean of its security and economic
  shares, so that each domain counts equally whatever the size of the budgets.
- ``rivalry_<a>_<b>_ca``: ``2 * min(share_a, share_b)`` over the focus territory, high when
  both hold large and balanced shares (1 when they split it evenly between them).
- ``cohesion_<ORG>`` and ``members_<ORG>`` for each organization.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = [
    "bloc_polarization",
    "focus_shares",
    "model_reporters",
    "polarity_n_eff",
    "rivalry",
]


def polarity_n_eff(model: MultipolarModel) -> float:
    """Effective number of poles from the great powers' capability shares."""
    shares = model.capabilities.capability_shares(model.params.capability.military_weight)
    return float(1.0 / np.square(shares).sum())


def bloc_polarization(model: MultipolarModel) -> float:
    """How two-bloc the non-great-powers' alignments are, in [0, 1]."""
    blocs = list(model.params.metrics.blocs.values())[:2]
    if len(blocs) < 2:
        return 0.0
    states = [s for s in model.states.values() if not s.is_great_power]
    if not states:
        return 0.0
    alignment = np.array([s.alignment for s in states])
    west = alignment[:, [model.power_index[p] for p in blocs[0]]].sum(axis=1)
    east = alignment[:, [model.power_index[p] for p in blocs[1]]].sum(axis=1)
    pi_w, pi_e = west.mean(), east.mean()
    if pi_w + pi_e <= 0:
        return 0.0
    delta = np.abs(west - east).mean()
    return float(delta * 4.0 * pi_w * pi_e / (pi_w + pi_e) ** 2)


def focus_shares(model: MultipolarModel) -> np.ndarray:
    """Each power's share of the influence over the focus states' territory (mean over domains)."""
    role = model.params.metrics.focus_role
    focus = [s for s, spec in model.params.states.items() if spec.role == role]
    totals = model.readings.totals(focus)
    per_domain = totals.sum(axis=0)
    shares = np.divide(totals, per_domain, out=np.zeros_like(totals), where=per_domain > 0)
    return shares.mean(axis=1)


def rivalry(model: MultipolarModel) -> float:
    """Rivalry index of the watched pair over the focus territory: 2 * min of their shares."""
    shares = focus_shares(model)
    a, b = (model.power_index[p] for p in model.params.metrics.rivalry_pair)
    return float(2.0 * min(shares[a], shares[b]))


def model_reporters(model: MultipolarModel) -> dict[str, Callable[[Any], Any]]:
    """The DataCollector's model reporters: one column per metric, in a stable order."""
    reporters: dict[str, Callable[[Any], Any]] = {
        "date": lambda m: m.date.isoformat(),
        "polarity_n_eff": polarity_n_eff,
        "bloc_polarization": bloc_polarization,
    }
    for i, power in enumerate(model.powers):
        reporters[f"ca_share_{power}"] = lambda m, i=i: float(focus_shares(m)[i])
    a, b = model.params.metrics.rivalry_pair
    reporters[f"rivalry_{a.lower()}_{b.lower()}_ca"] = rivalry
    for i, power in enumerate(model.powers):
        reporters[f"capability_share_{power}"] = lambda m, i=i: float(
            m.capabilities.capability_shares(m.params.capability.military_weight)[i]
        )
        reporters[f"security_budget_{power}"] = lambda m, i=i: float(m.last_budgets[i, 0])
        reporters[f"economy_budget_{power}"] = lambda m, i=i: float(m.last_budgets[i, 1])
    for code in model.organizations:
        reporters[f"cohesion_{code}"] = lambda m, code=code: float(m.organizations[code].cohesion)
        reporters[f"members_{code}"] = lambda m, code=code: len(m.memberships.members(code))
    return reporters
