"""The kernel contract (docs/model.md §7.9): argument checks, the stability bound, the schemes.

Every backend calls :func:`check_diffuse_args` (and :func:`check_out` for an output
buffer) before launching, so that all of them reject the same bad inputs with the same
messages, and the scenario loader uses :func:`max_stable_dt` to refuse unstable explicit
settings before a run starts.

Two schemes advance the same equation ``du/dt = D div(c grad u) - lam u + s``:

- ``"explicit"``: forward Euler, stable and non-negative only while
  ``dt * (4 * D * max(c) + lam) <= 1``.
- ``"implicit"``: backward Euler, ``((1 + dt*lam) I - dt*D*L) u' = u + dt*s``, solved
  approximately in delta form with one tridiagonal solve per row and per column: with
  ``r = dt * ((D * L u - lam * u) + s)`` (the explicit scheme's increment),
  ``((1 + dt*lam) I - dt*D*Lx) v = r`` along every row, ``(I - dt*D*Ly) delta = v`` along
  every column (Thomas algorithm: the matrices are diagonally dominant M-matrices, every
  denominator at least 1), then ``u' = max(u + delta, 0)``, scaled by one positive factor
  per field so that its total is backward Euler's exact total
  ``T' = (T + dt * S) / (1 + dt * lam)`` (``T``, ``S``: the totals of ``u`` and ``s``).
  ``Lx`` and ``Ly`` are the flux-form one-dimensional operators with face conductance
  ``(c + c[n]) / 2`` and no flux across the edge. A fixed point is exactly the steady state
  of the equation (the split solves only shape the change), the result is non-negative
  and its total exact whatever ``dt``, hence stable in the L1 norm; with ``lam = 0`` and
  ``s = 0`` each channel's total is conserved to float32 rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "SCHEMES",
    "check_diffuse_args",
    "check_fill_args",
    "check_label_range",
    "check_out",
    "check_scheme",
    "check_zonal_args",
    "max_stable_dt",
]

SCHEMES = ("explicit", "implicit")
"""The time-stepping schemes every backend implements (see the module docstring)."""


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


def label_range_error(n_labels: int) -> ValueError:
    """The error every backend raises for a label outside ``[0, n_labels)``."""
    return ValueError(f"labels must lie in [0, {n_labels})")


def check_label_range(labels: Any, n_labels: int) -> None:
    """Reject labels outside ``[0, n_labels)``; ``labels`` is a NumPy or a CuPy array.

    The Numba kernels check the labels in their own pass instead and raise
    :func:`label_range_error` themselves.
    """
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= n_labels):
        raise label_range_error(n_labels)


def check_fill_args(table: Any, labels: Any, out: Any) -> None:
    """Validate the arguments of ``fill_by_label``.

    ``out`` is a C-contiguous float32 ``(K, H, W)`` or ``(B, K, H, W)`` array, ``labels``
    ``(H, W)`` integers and ``table`` float32 with ``out``'s leading dimensions and one
    column per label. The labels' range is each backend's to check, in the same pass.
    """
    shape = _shape(out)
    if len(shape) not in (3, 4):
        raise ValueError(f"out must have shape (K, H, W) or (B, K, H, W), got {shape}")
    if out.dtype != np.float32 or not out.flags.c_contiguous:
        raise TypeError(f"out must be C-contiguous float32, got {out.dtype}")
    if _shape(labels) != shape[-2:]:
        raise ValueError(f"labels must have shape (H, W) = {shape[-2:]}, got {_shape(labels)}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers, got {labels.dtype}")
    table_shape = _shape(table)
    if table_shape[:-1] != shape[:-2] or len(table_shape) != len(shape) - 1:
        raise ValueError(f"table must have shape {(*shape[:-2], 'n_labels')}, got {table_shape}")
    if table.dtype != np.float32:
        raise TypeError(f"table must be float32, got {table.dtype}")


def check_scheme(scheme: str) -> None:
    """Reject a scheme name that is not one of :data:`SCHEMES`."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")


def check_out(out: Any, u: Any, scheme: str, may_share_memory: Any) -> None:
    """Validate an output buffer for ``diffuse``: u's shape, float32, C-contiguous.

    The explicit scheme reads every step's input while writing its output, so ``out`` must
    not overlap ``u`` there; the implicit sweeps work in place, so ``out`` may be ``u``.
    ``may_share_memory`` is the array module's function of that name.
    """
    if _shape(out) != _shape(u):
        raise ValueError(f"out must have the shape of u {_shape(u)}, got {_shape(out)}")
    if out.dtype != np.float32:
        raise TypeError(f"out must be float32, got {out.dtype}")
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous")
    if scheme == "explicit" and may_share_memory(out, u):
        raise ValueError("out must not overlap u with the explicit scheme")
