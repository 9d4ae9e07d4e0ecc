"""The reference backend against values worked out by hand."""

from __future__ import annotations

import numpy as np

from multipolar.kernels.numpy_ref import NumpyBackend


def test_one_step_on_a_3x3_grid_by_hand():
    # Channel 0: a unit mass in the centre, where c = 0.5 (c = 1 elsewhere), D = 0.2,
    # lam = 0.1, dt = 1, and a source of 0.5 in the top-left corner.
    #   each centre face: cf = (0.5 + 1) / 2 = 0.75
    #   centre:      lap = 4 * 0.75 * (0 - 1) = -3  ->  1 + (0.2 * -3 - 0.1 * 1) = 0.3
    #   edge middle: lap = 0.75 * (1 - 0)   = 0.75  ->  0 + 0.2 * 0.75         = 0.15
    #   corner (0, 0): no neighbour mass, source 0.5  ->  0 + 0.5             = 0.5
    #   other corners stay 0.
    # Channel 1: a unit mass in the top-left corner, D = 0.2, lam = 0, no source.
    #   corner: two neighbours inside the grid (no flux across the edge), faces cf = 1:
    #           lap = -2  ->  1 - 0.4 = 0.6;  (0, 1) and (1, 0): lap = 1  ->  0.2
    #   the centre's faces are not touched by the mass; the total stays 1.
    c = np.ones((3, 3), np.float32)
    c[1, 1] = 0.5
    u = np.zeros((2, 3, 3), np.float32)
    u[0, 1, 1] = 1.0
    u[1, 0, 0] = 1.0
    s = np.zeros_like(u)
    s[0, 0, 0] = 0.5
    D = np.array([0.2, 0.2], np.float32)
    lam = np.array([0.1, 0.0], np.float32)

    out = NumpyBackend().diffuse(u, c, s, D, lam, 1.0, 1)

    expected = np.array(
        [
            [[0.5, 0.15, 0.0], [0.15, 0.3, 0.15], [0.0, 0.15, 0.0]],
            [[0.6, 0.2, 0.0], [0.2, 0.0, 0.0], [0.0, 0.0, 0.0]],
        ],
        np.float32,
    )
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)
    assert out.dtype == np.float32


def test_zonal_sum_by_hand():
    u = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    labels = np.array([[0, 0, 1, 1], [0, 2, 2, 1], [2, 2, 2, 2]])
    # label 0: 0 + 1 + 4 = 5;  label 1: 2 + 3 + 7 = 12;  label 2: 5 + 6 + 8 + 9 + 10 + 11 = 49
    np.testing.assert_array_equal(NumpyBackend().zonal_sum(u, labels, 4), [[5.0, 12.0, 49.0, 0.0]])
