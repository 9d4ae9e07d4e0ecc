"""Country borders, basin outlines and capitals from the bundled vector data, for drawing.

The same files the rasters are made from (``multipolar/data``), read once and kept as plain
coordinate rings, so drawing never depends on the model's internals.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import shapely
from shapely.geometry import shape

from multipolar._resources import data_dir

__all__ = ["basin_rings", "capitals", "country_rings", "land_mask"]

Rings = tuple[tuple[str, tuple[np.ndarray, ...]], ...]


def _rings(geometry: shapely.Geometry) -> tuple[np.ndarray, ...]:
    polygons = getattr(geometry, "geoms", [geometry])
    rings = []
    for polygon in polygons:
        rings.append(np.asarray(polygon.exterior.coords))
        rings.extend(np.asarray(hole.coords) for hole in polygon.interiors)
    return tuple(rings)


@functools.cache
def _features(file_name: str, key: str) -> tuple[tuple[str, shapely.Geometry], ...]:
    with open(data_dir() / file_name, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    return tuple((f["properties"][key], shape(f["geometry"])) for f in features)


@functools.cache
def country_rings() -> Rings:
    """Each country's outline rings ``(n, 2)`` in lon/lat, keyed by ISO3 code."""
    return tuple((code, _rings(g)) for code, g in _features("countries.geojson", "iso3"))


@functools.cache
def basin_rings() -> Rings:
    """Each basin's outline rings in lon/lat, keyed by basin name."""
    return tuple((name, _rings(g)) for name, g in _features("basins.geojson", "name"))


@functools.cache
def capitals() -> dict[str, tuple[float, float]]:
    """Capital ``(lon, lat)`` of every bundled country, keyed by ISO3 code."""
    with open(data_dir() / "capitals.json", encoding="utf-8") as handle:
        table = json.load(handle)
    return {code: (float(c["lon"]), float(c["lat"])) for code, c in table.items()}


@functools.lru_cache(maxsize=8)
def land_mask(bounds: tuple[float, float, float, float], shape_hw: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) raster, row 0 north: True where a cell centre lies in a bundled country."""
    lon_min, lon_max, lat_min, lat_max = bounds
    h, w = shape_hw
    lons = lon_min + (np.arange(w) + 0.5) * (lon_max - lon_min) / w
    lats = lat_max - (np.arange(h) + 0.5) * (lat_max - lat_min) / h
    x, y = np.meshgrid(lons, lats)
    land = shapely.union_all([g for _, g in _features("countries.geojson", "iso3")])
    return shapely.contains_xy(land, x, y)
