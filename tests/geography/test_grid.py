from __future__ import annotations

import math

import numpy as np
import pytest

from multipolar.geography import Grid


def test_default_grid_is_the_design_region_at_a_quarter_degree():
    grid = Grid()
    assert (grid.lon_min, grid.lon_max, grid.lat_min, grid.lat_max) == (40, 100, 28, 58)
    assert grid.shape == (120, 240)
    assert grid.cell_area_deg2 == pytest.approx(0.0625)


@pytest.mark.parametrize(
    ("resolution", "shape"), [(0.5, (60, 120)), (0.25, (120, 240)), (0.01, (3000, 6000))]
)
def test_shape_counts_rows_of_latitude_and_columns_of_longitude(resolution, shape):
    grid = Grid(resolution=resolution)
    assert grid.shape == shape
    assert grid.lat_centers().shape == (shape[0],)
    assert grid.lon_centers().shape == (shape[1],)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"resolution": 0.7},  # 60 / 0.7 is not whole
        {"resolution": 0.0},
        {"resolution": -0.25},
        {"resolution": math.nan},
        {"lon_min": 100.0, "lon_max": 40.0},
        {"lat_min": 58.0, "lat_max": 58.0},
        {"lat_max": 58.1},  # 30.1 / 0.25 is not whole
    ],
)
def test_invalid_grids_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        Grid(**kwargs)


def test_spans_within_floating_point_slack_of_a_multiple_are_accepted():
    assert Grid(
        lon_min=40.0, lon_max=40.0 + 0.1 * 3, lat_min=0.0, lat_max=0.3, resolution=0.1
    ).shape == (3, 3)


def test_row_zero_is_the_northern_edge():
    grid = Grid(resolution=0.5)
    lats = grid.lat_centers()
    assert lats[0] == pytest.approx(57.75)
    assert lats[-1] == pytest.approx(28.25)
    assert np.all(np.diff(lats) < 0)
    lons = grid.lon_centers()
    assert lons[0] == pytest.approx(40.25)
    assert lons[-1] == pytest.approx(99.75)
    assert grid.cell_of(40.1, 57.9) == (0, 0)
    assert grid.cell_of(99.9, 28.1) == (59, 119)


def test_edges_belong_to_the_grid_and_outside_points_do_not():
    grid = Grid()
    assert grid.contains(40.0, 28.0) and grid.contains(100.0, 58.0)
    assert grid.cell_of(100.0, 28.0) == (119, 239)
    assert grid.cell_of(40.0, 58.0) == (0, 0)
    for lon, lat in [(39.99, 40.0), (100.01, 40.0), (70.0, 27.99), (70.0, 58.01), (math.nan, 40)]:
        assert not grid.contains(lon, lat)
        with pytest.raises(ValueError):
            grid.cell_of(lon, lat)


@pytest.mark.parametrize("resolution", [0.25, 0.05, 0.01])
def test_cell_of_and_centres_round_trip(resolution):
    grid = Grid(resolution=resolution)
    rng = np.random.default_rng(20240611)
    lons = rng.uniform(40.0, 100.0, 200)
    lats = rng.uniform(28.0, 58.0, 200)
    lon_c, lat_c = grid.lon_centers(), grid.lat_centers()
    for lon, lat in zip(lons, lats, strict=True):
        row, col = grid.cell_of(lon, lat)
        assert abs(lon_c[col] - lon) <= resolution / 2 + 1e-9
        assert abs(lat_c[row] - lat) <= resolution / 2 + 1e-9
        assert grid.cell_of(lon_c[col], lat_c[row]) == (row, col)


@pytest.mark.parametrize("resolution", [0.25, 0.01])
def test_cells_along_runs_from_start_cell_to_end_cell_through_neighbours(resolution):
    grid = Grid(resolution=resolution)
    path = [(41.3, 29.1), (55.55, 37.2), (72.05, 39.9), (98.7, 57.3)]  # never doubles back
    cells = grid.cells_along(path)
    assert cells.ndim == 2 and cells.shape[1] == 2
    assert np.issubdtype(cells.dtype, np.integer)
    assert tuple(cells[0]) == grid.cell_of(*path[0])
    assert tuple(cells[-1]) == grid.cell_of(*path[-1])
    for vertex in path:
        assert grid.cell_of(*vertex) in {tuple(c) for c in cells}
    steps = np.abs(np.diff(cells, axis=0))
    assert np.all(steps.max(axis=1) == 1)  # distinct 8-neighbours
    assert len({tuple(c) for c in cells}) == len(cells)


def test_cells_along_a_parallel_visits_every_column_once():
    grid = Grid()
    cells = grid.cells_along([(40.1, 45.1), (49.9, 45.1)])
    row = grid.cell_of(45.0, 45.1)[0]
    assert cells.tolist() == [[row, col] for col in range(40)]


def test_cells_along_drops_the_part_outside_the_grid():
    grid = Grid()
    cells = grid.cells_along([(30.0, 45.1), (40.6, 45.1)])
    row = grid.cell_of(40.0, 45.1)[0]
    assert cells.tolist() == [[row, 0], [row, 1], [row, 2]]
    assert grid.cells_along([(0.0, 0.0), (10.0, 10.0)]).shape == (0, 2)


def test_cells_along_degenerate_paths():
    grid = Grid()
    assert grid.cells_along([]).shape == (0, 2)
    assert grid.cells_along([(70.0, 40.0)]).tolist() == [list(grid.cell_of(70.0, 40.0))]
    with pytest.raises(ValueError):
        grid.cells_along([(70.0, 40.0, 1.0)])
