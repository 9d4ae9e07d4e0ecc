"""The kernel contract of DESIGN §4: argument checks and the stability bound.

Every backend calls :func:`check_diffuse_args` before launching, so that all of them
reject the same bad inputs with the same messages, and the scenario loader uses
:func:`max_stable_dt` to refuse unstable settings before a run starts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_diffuse_args", "check_zonal_args", "max_stable_dt"]


def max_stable_dt(diffusivity: float, decay: float, c_max: float = 1.0) -> float:
    """Largest explicit time step that keeps one channel stable and non-negative.

    The update is stable and positivity-preserving when
    ``dt * (4 * D * max(c) + lam) <= 1``.
    """
    rate = 4.0 * float(diffusivity) * float(c_max) + float(decay)
    return float("inf") if rate <= 0.0 else 1.0 / rate


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in a.shape)


def check_diffuse_args(
    u: Any, c: Any, s: Any, diffusivity: Any, decay: Any, dt: float, steps: int
) -> tuple[int, int]:
    """Validate the arguments of ``diffuse`` and return ``(K, n_batch)``.

    ``u`` and ``s`` are ``(K, H, W)`` or ``(B, K, H, W)`` float32 arrays of the same shape,
    ``c`` is ``(H, W)`` float32 in (0, 1], ``diffusivity`` and ``decay`` hold K values.
    """
    shape = _shape(u)
    if len(shape) not in (3, 4):
        raise ValueError(f"u must have shape (K, H, W) or (B, K, H, W), got {shape}")
    if _shape(s) != shape:
        raise ValueError(f"s must have the shape of u {shape}, got {_shape(s)}")
    if _shape(c) != shape[-2:]:
        raise ValueError(f"c must have shape (H, W) = {shape[-2:]}, got {_shape(c)}")
    for name, a in (("u", u), ("s", s), ("c", c)):
        if a.dtype != np.float32:
            raise TypeError(f"{name} must be float32, got {a.dtype}")
    n_channels = shape[-3]
    for name, v in (("D", diffusivity), ("lam", decay)):
        if np.shape(v) != (n_channels,):
            raise ValueError(
                f"{name} must hold one value per channel ({n_channels}), got shape {np.shape(v)}"
            )
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if not np.isfinite(dt) or dt < 0:
        raise ValueError(f"dt must be finite and non-negative, got {dt!r}")
    return n_channels, (shape[0] if len(shape) == 4 else 1)


def check_zonal_args(u: Any, labels: Any, n_labels: int) -> None:
    """Validate the arguments of ``zonal_sum``: labels are ``(H, W)`` integers in [0, n_labels)."""
    shape = _shape(u)
    if len(shape) not in (3, 4):
        raise ValueError(f"u must have shape (K, H, W) or (B, K, H, W), got {shape}")
    if _shape(labels) != shape[-2:]:
        raise ValueError(f"labels must have shape (H, W) = {shape[-2:]}, got {_shape(labels)}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers, got {labels.dtype}")
    if n_labels < 1:
        raise ValueError(f"n_labels must be at least 1, got {n_labels}")
