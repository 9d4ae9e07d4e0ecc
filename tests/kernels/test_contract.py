"""Every backend rejects bad arguments with the contract's messages (contract.py)."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar.kernels import max_stable_dt


def _args(k=2, h=4, w=5):
    u = np.ones((k, h, w), np.float32)
    return dict(
        u=u,
        c=np.ones((h, w), np.float32),
        s=np.zeros_like(u),
        D=np.full(k, 0.1, np.float32),
        lam=np.zeros(k, np.float32),
        dt=0.5,
        steps=1,
    )


def _call(backend, **args):
    xp = {name: backend.asarray(args[name]) for name in ("u", "c", "s")}
    return backend.diffuse(
        xp["u"], xp["c"], xp["s"], args["D"], args["lam"], args["dt"], args["steps"]
    )


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            dict(u=np.ones((2, 4, 5), np.float64), s=np.zeros((2, 4, 5), np.float64)),
            TypeError,
            "u must be float32, got float64",
        ),
        (dict(c=np.ones((4, 5), np.float16)), TypeError, "c must be float32, got float16"),
        (dict(s=np.zeros((2, 4, 5), np.int32)), TypeError, "s must be float32, got int32"),
        (
            dict(s=np.zeros((2, 4, 6), np.float32)),
            ValueError,
            r"s must have the shape of u \(2, 4, 5\), got \(2, 4, 6\)",
        ),
        (
            dict(c=np.ones((5, 4), np.float32)),
            ValueError,
            r"c must have shape \(H, W\) = \(4, 5\), got \(5, 4\)",
        ),
        (
            dict(u=np.ones((4, 5), np.float32), s=np.ones((4, 5), np.float32)),
            ValueError,
            r"u must have shape \(K, H, W\) or \(B, K, H, W\), got \(4, 5\)",
        ),
        (
            dict(D=np.ones(3, np.float32)),
            ValueError,
            r"D must hold one value per channel \(2\), got shape \(3,\)",
        ),
        (
            dict(lam=np.float32(0.0)),
            ValueError,
            r"lam must hold one value per channel \(2\), got shape \(\)",
        ),
        (dict(steps=-1), ValueError, "steps must be a non-negative integer, got -1"),
        (dict(steps=2.0), ValueError, "steps must be a non-negative integer, got 2.0"),
        (dict(dt=float("nan")), ValueError, "dt must be finite and non-negative, got nan"),
        (dict(dt=-0.1), ValueError, "dt must be finite and non-negative, got -0.1"),
    ],
)
def test_diffuse_rejects_bad_arguments(backend, change, error, message):
    with pytest.raises(error, match=message):
        _call(backend, **{**_args(), **change})


def test_zonal_sum_rejects_bad_arguments(backend):
    u = backend.asarray(np.ones((2, 4, 5), np.float32))
    with pytest.raises(
        ValueError, match=r"labels must have shape \(H, W\) = \(4, 5\), got \(5, 4\)"
    ):
        backend.zonal_sum(u, backend.asarray(np.zeros((5, 4), np.int32)), 3)
    with pytest.raises(TypeError, match="labels must be integers, got float32"):
        backend.zonal_sum(u, backend.asarray(np.zeros((4, 5), np.float32)), 3)
    with pytest.raises(ValueError, match="n_labels must be at least 1, got 0"):
        backend.zonal_sum(u, backend.asarray(np.zeros((4, 5), np.int32)), 0)


def test_fill_by_label_rejects_bad_arguments(backend):
    out = backend.asarray(np.zeros((2, 4, 5), np.float32))
    labels = backend.asarray(np.zeros((4, 5), np.int32))
    table = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"table must have shape \(2, 'n_labels'\), got \(3, 3\)"):
        backend.fill_by_label(np.ones((3, 3), np.float32), labels, out)
    with pytest.raises(TypeError, match="table must be float32, got float64"):
        backend.fill_by_label(np.ones((2, 3)), labels, out)
    with pytest.raises(ValueError, match=r"labels must have shape \(H, W\) = \(4, 5\)"):
        backend.fill_by_label(table, backend.asarray(np.zeros((5, 4), np.int32)), out)
    with pytest.raises(TypeError, match="labels must be integers, got float32"):
        backend.fill_by_label(table, backend.asarray(np.zeros((4, 5), np.float32)), out)
    with pytest.raises(TypeError, match="out must be C-contiguous float32, got float64"):
        backend.fill_by_label(table, labels, backend.asarray(np.zeros((2, 4, 5))))


def test_max_stable_dt():
    assert max_stable_dt(0.25, 0.0) == pytest.approx(1.0)
    assert max_stable_dt(0.2, 0.2, c_max=0.5) == pytest.approx(1 / 0.6)
    assert max_stable_dt(0.0, 0.0) == float("inf")
