"""Read the bundled vector data (``multipolar/data/*.geojson``) into shapely geometries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape

from multipolar._resources import data_dir

COUNTRIES_FILE = "countries.geojson"
BASINS_FILE = "basins.geojson"
TERRAIN_FILE = "terrain.geojson"
RASTER_SOURCES = (COUNTRIES_FILE, BASINS_FILE, TERRAIN_FILE)
TERRAIN_KINDS = ("mountains", "water")


@dataclass(frozen=True)
class Feature:
    """One named polygon feature of a bundled file.

    Attributes:
        name: The feature's key: ISO 3166 alpha-3 code for countries, name otherwise.
        geometry: Polygon or MultiPolygon in lon/lat degrees.
        kind: Terrain kind (``mountains`` or ``water``); empty for countries and basins.
    """

    name: str
    geometry: shapely.Geometry
    kind: str = ""


def source_paths() -> list[Path]:
    """Paths of the files the rasters are made from, in a fixed order."""
    return [data_dir() / name for name in RASTER_SOURCES]


def _read(file_name: str) -> list[dict]:
    with open(data_dir() / file_name, encoding="utf-8") as handle:
        return json.load(handle)["features"]


def countries() -> list[Feature]:
    """Country polygons keyed by ``iso3``, in file order (sorted by code)."""
    return [Feature(f["properties"]["iso3"], shape(f["geometry"])) for f in _read(COUNTRIES_FILE)]


def basins() -> list[Feature]:
    """Basin polygons keyed by name, in file order."""
    return [Feature(f["properties"]["name"], shape(f["geometry"])) for f in _read(BASINS_FILE)]


def terrain() -> list[Feature]:
    """Mountain ranges and water bodies, in file order.

    Raises:
        ValueError: If a feature's kind is not one of ``TERRAIN_KINDS``.
    """
    features = []
    for f in _read(TERRAIN_FILE):
        name, kind = f["properties"]["name"], f["properties"]["kind"]
        if kind not in TERRAIN_KINDS:
            raise ValueError(f"{TERRAIN_FILE}: {name}: unknown kind {kind!r}")
        features.append(Feature(name, shape(f["geometry"]), kind))
    return features
