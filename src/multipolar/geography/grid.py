"""The model's regular longitude/latitude raster.

Row 0 is the northern edge and column 0 the western edge, as in an image: cell ``(i, j)``
covers longitudes ``[lon_min + j*res, lon_min + (j+1)*res]`` and latitudes
``[lat_max - (i+1)*res, lat_max - i*res]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Grid"]

_SPAN_TOLERANCE = 1e-9  # relative slack when checking that a span is a multiple of res


def _cell_count(span: float, resolution: float, axis: str) -> int:
    ratio = span / resolution
    count = round(ratio)
    if count < 1 or abs(ratio - count) > _SPAN_TOLERANCE * ratio:
        raise ValueError(
            f"the {axis} span {span!r} is not a positive multiple of the resolution {resolution!r}"
        )
    return count


@dataclass(frozen=True)
class Grid:
    """A regular lon/lat grid over a rectangular region, in degrees.

    Attributes:
        lon_min: Western edge.
        lon_max: Eastern edge.
        lat_min: Southern edge.
        lat_max: Northern edge.
        resolution: Cell side, the same in longitude and latitude.

    Raises:
        ValueError: If the resolution is not positive and finite, or a span is not a positive
            multiple of it (within 1e-9 relative).
    """

    lon_min: float = 40.0
    lon_max: float = 100.0
    lat_min: float = 28.0
    lat_max: float = 58.0
    resolution: float = 0.25

    def __post_init__(self) -> None:
        """Validate the spans against the resolution."""
        if not (math.isfinite(self.resolution) and self.resolution > 0):
            raise ValueError(f"resolution must be positive and finite, not {self.resolution!r}")
        _cell_count(self.lon_max - self.lon_min, self.resolution, "longitude")
        _cell_count(self.lat_max - self.lat_min, self.resolution, "latitude")

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)``: rows (latitude) and columns (longitude)."""
        return (
            _cell_count(self.lat_max - self.lat_min, self.resolution, "latitude"),
            _cell_count(self.lon_max - self.lon_min, self.resolution, "longitude"),
        )

    @property
    def cell_area_deg2(self) -> float:
        """Area of one cell in square degrees (not km^2: cells shrink toward the pole)."""
        return self.resolution**2

    def lon_centers(self) -> np.ndarray:
        """Longitudes of the column centres, west to east, shape ``(W,)``."""
        return self.lon_min + (np.arange(self.shape[1]) + 0.5) * self.resolution

    def lat_centers(self) -> np.ndarray:
        """Latitudes of the row centres, north to south (row 0 is north), shape ``(H,)``."""
        return self.lat_max - (np.arange(self.shape[0]) + 0.5) * self.resolution

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies in the grid (edges included)."""
        return bool(self._inside(np.asarray(lon, float), np.asarray(lat, float)))

    def cell_of(self, lon: float, lat: float) -> tuple[int, int]:
        """Return the ``(row, col)`` of the cell holding a point.

        Raises:
            ValueError: If the point lies outside the grid.
        """
        if not self.contains(lon, lat):
            raise ValueError(f"point ({lon}, {lat}) lies outside the grid {self}")
        rows, cols = self._index(np.asarray([lon], float), np.asarray([lat], float))
        return int(rows[0]), int(cols[0])

    def cells_along(self, path: Sequence[tuple[float, float]]) -> np.ndarray:
        """Cells a polyline passes through, in the order first visited.

        The path is sampled at most ``resolution / 4`` apart along each segment (straight in
        lon/lat); samples outside the grid are dropped.

        Args:
            path: Vertices ``(lon, lat)``; one vertex gives its own cell.

        Returns:
            Integer array of shape ``(n, 2)`` with unique ``(row, col)`` pairs.

        Raises:
            ValueError: If ``path`` is not a sequence of ``(lon, lat)`` pairs.
        """
        vertices = np.asarray(path, dtype=float)
        if vertices.size == 0:
            return np.empty((0, 2), dtype=np.int64)
        if vertices.ndim != 2 or vertices.shape[1] != 2:
            raise ValueError(f"path must be a sequence of (lon, lat) pairs, got {vertices.shape}")
        step = self.resolution / 4
        pieces = [vertices[:1]]
        for start, end in zip(vertices[:-1], vertices[1:], strict=True):
            n = max(1, math.ceil(float(np.hypot(*(end - start))) / step))
            t = np.arange(1, n + 1)[:, None] / n
            pieces.append(start + t * (end - start))
        samples = np.concatenate(pieces)
        samples = samples[self._inside(samples[:, 0], samples[:, 1])]
        cells = np.stack(self._index(samples[:, 0], samples[:, 1]), axis=1)
        _, first = np.unique(cells, axis=0, return_index=True)
        return cells[np.sort(first)]

    def _inside(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return (
            (lon >= self.lon_min)
            & (lon <= self.lon_max)
            & (lat >= self.lat_min)
            & (lat <= self.lat_max)
        )

    def _index(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        height, width = self.shape
        rows = np.floor((self.lat_max - lat) / self.resolution).astype(np.int64)
        cols = np.floor((lon - self.lon_min) / self.resolution).astype(np.int64)
        return np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)
