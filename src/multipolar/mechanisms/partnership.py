"""Contest between two powers over the same states and domains (mechanism 5).

The contest erodes their partnership.

The contest of powers ``a`` and ``b`` over focus states ``s`` (the five Central Asian
republics by default) in domain ``d`` is

    C_d = mean_s 2 * min(share_a[s, d], share_b[s, d])

where ``share`` is a power's share of the influence in domain ``d`` over state ``s``. It is
1 when both split every state's influence evenly in that domain and near 0 when each holds
its own domain (a division of labour: Russia security, China economy). The contest index
is the mean over the two domains; the model reports it as the rivalry index.

A dynamic pair's partnership ``pi`` closes ``rate`` of its gap each month to

    pi* = clip(1 - C / tolerance, 0, 1)

so contest above ``tolerance`` drives the partnership to 0, and a pair that divides the
labour drifts back toward 1. The partnership damps the threat each power perceives from
the other, in the security dilemma and in the states' balancing, through ``1 - pi``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["contest", "next_partnership", "state_shares"]


def state_shares(influence: np.ndarray) -> np.ndarray:
    """Each power's share of each state's influence per domain.

    Args:
        influence: (n_states, n_powers, 2) influence summed over each state's territory.

    Returns:
        Same shape; 0 where a state reads no influence in a domain.
    """
    totals = influence.sum(axis=1, keepdims=True)
    return np.divide(influence, totals, out=np.zeros_like(influence), where=totals > 0)


def contest(shares: np.ndarray, a: int, b: int) -> np.ndarray:
    """Per-domain contest of powers ``a`` and ``b``: (2,) in [0, 1]."""
    if shares.shape[0] == 0:
        return np.zeros(shares.shape[-1])
    return 2.0 * np.minimum(shares[:, a, :], shares[:, b, :]).mean(axis=0)


def next_partnership(current: float, contest_index: float, rate: float, tolerance: float) -> float:
    """One month of the partnership's move toward ``clip(1 - C / tolerance, 0, 1)``."""
    target = float(np.clip(1.0 - contest_index / tolerance, 0.0, 1.0))
    return current + rate * (target - current)
