"""Rasterize polygons at cell centres: which centres of a grid lie inside a geometry.

A centre is inside when ``shapely.contains_xy`` says so (a centre exactly on a boundary is
outside). To stay fast at fine resolutions, each polygon's bounding window is cut into square
tiles: a tile whose cells lie wholly inside the polygon is filled at once, a tile that misses
it is skipped, and only tiles crossing the boundary test their centres one by one.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import shapely

from multipolar.geography.grid import Grid

TILE = 64  # cells per tile side
Window = tuple[slice, slice]


def cells_inside(grid: Grid, geometry: shapely.Geometry) -> Iterator[tuple[Window, np.ndarray]]:
    """Yield, for each polygon part, a window of the grid and the mask of centres inside it.

    Args:
        grid: The raster to fill.
        geometry: Polygon or MultiPolygon in lon/lat degrees.

    Yields:
        ``((row_slice, col_slice), mask)``: the window holding the centres within the part's
        bounding box, and a boolean array of the window's shape. Parts whose bounding box
        holds no centre are skipped.
    """
    lons = grid.lon_centers()
    lats = grid.lat_centers()
    for part in shapely.get_parts(geometry):
        lon_lo, lat_lo, lon_hi, lat_hi = part.bounds
        cols = slice(
            int(np.searchsorted(lons, lon_lo, "left")), int(np.searchsorted(lons, lon_hi, "right"))
        )
        rows = slice(  # latitudes descend with the row index
            int(np.searchsorted(-lats, -lat_hi, "left")),
            int(np.searchsorted(-lats, -lat_lo, "right")),
        )
        if cols.start >= cols.stop or rows.start >= rows.stop:
            continue
        shapely.prepare(part)
        yield (rows, cols), _mask(part, lons[cols], lats[rows], grid.resolution / 2)


def _mask(part: shapely.Geometry, lons: np.ndarray, lats: np.ndarray, half: float) -> np.ndarray:
    """Centres of the ``lats x lons`` window inside ``part``, decided tile by tile."""
    mask = np.zeros((lats.size, lons.size), dtype=bool)
    row0, col0 = np.meshgrid(
        np.arange(0, lats.size, TILE), np.arange(0, lons.size, TILE), indexing="ij"
    )
    row0, col0 = row0.ravel(), col0.ravel()
    row1, col1 = np.minimum(row0 + TILE, lats.size), np.minimum(col0 + TILE, lons.size)
    tiles = shapely.box(  # the tiles' cells, edges included
        lons[col0] - half, lats[row1 - 1] - half, lons[col1 - 1] + half, lats[row0] + half
    )
    whole = shapely.contains_properly(part, tiles)
    crossing = ~whole & shapely.intersects(part, tiles)
    for i in np.flatnonzero(whole):
        mask[row0[i] : row1[i], col0[i] : col1[i]] = True
    for i in np.flatnonzero(crossing):
        rows, cols = slice(row0[i], row1[i]), slice(col0[i], col1[i])
        mask[rows, cols] = shapely.contains_xy(part, lons[None, cols], lats[rows, None])
    return mask
