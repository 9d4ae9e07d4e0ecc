"""How a state scores the great powers and moves its alignment (mechanisms 4 and 5).

Each month a state in the grid scores every power ``p``:

    U[p] = (n_sec - adversary_weight * A[p]) * f(S[p])          (security, unless p backs
                                                                 an adversary)
         + n_eco * f(E[p])                                       (economic benefit)
         + threat_weight * sum_q rivalry[p, q] * f(S[q])        (balancing against threat)
         + institution_weight * sign(ties[p]) * f(|ties[p]|)     (memberships, hedged)
         + x[p] + eps[p]                                         (political shocks)

``S`` and ``E`` are the security and economic influence of each power over its territory,
measured against a fixed reference; ``f(x) = (1 - h) x + h * s * log(1 + x / s)`` has
diminishing returns when hedging ``h`` is on (a state spreads its alignment: the
multi-vector policy), ``s`` being the saturation. A power's security presence threatens
the state whatever the state's alignment, and raises the appeal of that power's rivals
(weighted by their rivalry, ``1 - partnership``). ``A`` is the mean alignment of the
state's adversaries in dated conflicts: the patron of an adversary is no protector.
``ties`` pull toward the leaders of the organizations a state belongs to and push away from
those it has suspended. ``x`` is the
fading utility shift of dated ``alignment_shock`` events (held by the World); ``eps``
follows an AR(1) process with stationary standard deviation ``noise`` and persistence
``noise_persistence``, drawn from the model's generator.

The alignment then closes a fraction ``rate`` of its gap to ``softmax(U / temperature)``,
so it stays on the simplex. A state outside the grid reads no field: its utilities keep
its starting alignment, shifted only by changes of its ties since the start.
"""

from __future__ import annotations

import numpy as np

from multipolar.config.schema import AlignmentSpec

__all__ = [
    "exogenous_utilities",
    "move",
    "next_shock",
    "response",
    "softmax",
    "utilities",
]


def softmax(x: np.ndarray) -> np.ndarray:
    """Numerically safe softmax of a vector."""
    z = np.exp(x - x.max())
    return z / z.sum()


def response(x: np.ndarray, saturation: float, hedging: float) -> np.ndarray:
    """Benefit of an influence level: linear blended with ``s * log(1 + x / s)``."""
    return (1.0 - hedging) * x + hedging * saturation * np.log1p(x / saturation)


def utilities(
    security: np.ndarray,
    economy: np.ndarray,
    rivalry: np.ndarray,
    ties: np.ndarray,
    needs: tuple[float, float],
    params: AlignmentSpec,
    backing: np.ndarray | None = None,
) -> np.ndarray:
    """Utility of aligning with each power for a state in the grid (without the shock).

    ``backing`` is ``A``, the state's adversaries' mean alignment (None: no conflict).
    """
    f_sec = response(security, params.saturation, params.hedging)
    f_eco = response(economy, params.saturation, params.hedging)
    threat = rivalry @ f_sec
    protection = needs[0] if backing is None else needs[0] - params.adversary_weight * backing
    return (
        protection * f_sec
        + needs[1] * f_eco
        + params.threat_weight * threat
        + params.institution_weight * institutions(ties, params)
    )


def institutions(ties: np.ndarray, params: AlignmentSpec) -> np.ndarray:
    """The pull of memberships, with the same diminishing returns as influence (signed).

    ``sign(t) * f(|t|)``: the third organization led by a power adds less than the first, and
    losing one of several ties costs less than losing the only one.
    """
    return np.sign(ties) * response(np.abs(ties), params.saturation, params.hedging)


def exogenous_utilities(
    start: np.ndarray, ties: np.ndarray, start_ties: np.ndarray, params: AlignmentSpec
) -> np.ndarray:
    """Utilities of a state outside the grid: its starting alignment, moved by its ties."""
    baseline = params.temperature * np.log(np.maximum(start, 1e-12))
    moved = institutions(ties, params) - institutions(start_ties, params)
    return baseline + params.institution_weight * moved


def next_shock(shock: np.ndarray, draw: np.ndarray, noise: float, persistence: float) -> np.ndarray:
    """One month of the AR(1) utility shock: ``phi * eps + noise * sqrt(1 - phi^2) * draw``."""
    return persistence * shock + noise * np.sqrt(1.0 - persistence**2) * draw


def move(alignment: np.ndarray, utility: np.ndarray, params: AlignmentSpec) -> np.ndarray:
    """Close ``rate`` of the gap between the alignment and ``softmax(U / temperature)``."""
    target = softmax(utility / params.temperature)
    moved = (1.0 - params.rate) * alignment + params.rate * target
    return moved / moved.sum()
