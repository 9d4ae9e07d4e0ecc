"""The files in multipolar/data, checked against facts typed from general knowledge."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import Point, shape

from multipolar._resources import data_dir
from multipolar.geography import terrain_features

CENTRAL_ASIA = {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
CAPITALS = {  # iso3: (name, lon, lat)
    "KAZ": ("Astana", 71.45, 51.17),
    "KGZ": ("Bishkek", 74.60, 42.87),
    "TJK": ("Dushanbe", 68.78, 38.56),
    "TKM": ("Ashgabat", 58.38, 37.95),
    "UZB": ("Tashkent", 69.28, 41.31),
    "AFG": ("Kabul", 69.17, 34.53),
    "RUS": ("Moscow", 37.62, 55.75),
    "CHN": ("Beijing", 116.40, 39.90),
    "USA": ("Washington, D.C.", -77.04, 38.90),
}


def _load(name: str):
    with open(data_dir() / name, encoding="utf-8") as handle:
        return json.load(handle)


def _coordinates(geometry: dict):
    for polygon in shapely.get_parts(shape(geometry)):
        yield from shapely.get_coordinates(polygon)


def test_countries_file_is_small_and_keyed_by_iso3():
    path = data_dir() / "countries.geojson"
    assert path.stat().st_size < 1_000_000
    features = _load("countries.geojson")["features"]
    codes = [f["properties"]["iso3"] for f in features]
    assert codes == sorted(set(codes))
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in codes)
    assert CENTRAL_ASIA | {"AFG", "CHN", "RUS", "IRN", "MNG", "PAK", "AZE", "ARM", "GEO"} <= set(
        codes
    )
    assert "USA" not in codes and "FRA" not in codes


def test_country_geometries_are_valid_clipped_and_rounded():
    for feature in _load("countries.geojson")["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature["properties"]
        lon_lo, lat_lo, lon_hi, lat_hi = geometry.bounds
        assert lon_lo >= 38.0 and lon_hi <= 102.0 and lat_lo >= 26.0 and lat_hi <= 60.0
        for lon, lat in _coordinates(feature["geometry"]):
            assert round(lon, 4) == lon and round(lat, 4) == lat


def test_capitals_sit_where_they_are():
    capitals = _load("capitals.json")
    for iso3, (name, lon, lat) in CAPITALS.items():
        entry = capitals[iso3]
        assert entry["name"] == name
        assert entry["lon"] == pytest.approx(lon, abs=0.2)
        assert entry["lat"] == pytest.approx(lat, abs=0.2)


def test_every_country_in_the_data_has_its_capital_inside_it():
    capitals = _load("capitals.json")
    for feature in _load("countries.geojson")["features"]:
        iso3 = feature["properties"]["iso3"]
        capital = capitals[iso3]
        point = Point(capital["lon"], capital["lat"])
        clipped = shape(feature["geometry"])
        if clipped.bounds[0] <= point.x <= clipped.bounds[2] and 28 <= point.y <= 58:
            assert clipped.distance(point) < 0.3, (iso3, capital)


def test_basins_are_the_design_basins_as_valid_polygons():
    features = _load("basins.geojson")["features"]
    names = [f["properties"]["name"] for f in features]
    assert names == [
        "Caspian", "Aral", "Amu Darya", "Syr Darya", "Ferghana",
        "Balkhash-Ili", "Tarim", "Dzungaria", "Irtysh", "Afghan highlands",
    ]  # fmt: skip
    for feature in features:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid and geometry.geom_type == "Polygon", feature["properties"]
        assert len(geometry.exterior.coords) - 1 >= 8


def test_ferghana_basin_covers_the_valley_box():
    (ferghana,) = [
        shape(f["geometry"])
        for f in _load("basins.geojson")["features"]
        if f["properties"]["name"] == "Ferghana"
    ]
    lon_lo, lat_lo, lon_hi, lat_hi = ferghana.bounds
    assert 69.0 <= lon_lo <= 70.5 and 73.0 <= lon_hi <= 74.0
    assert 39.8 <= lat_lo <= 40.3 and 41.3 <= lat_hi <= 41.8


def test_terrain_has_the_named_ranges_and_water_bodies():
    features = terrain_features()
    for name in ("Pamir", "Tian Shan", "Hindu Kush", "Altai", "Kopet Dag"):
        assert features[name] == "mountains"
    for name in ("Caspian Sea", "Aral Sea", "Lake Balkhash", "Issyk-Kul"):
        assert features[name] == "water"
    for feature in _load("terrain.geojson")["features"]:
        assert shape(feature["geometry"]).is_valid, feature["properties"]


def test_data_readme_documents_every_file():
    readme = (data_dir() / "README.md").read_text(encoding="utf-8")
    for name in ("countries.geojson", "capitals.json", "basins.geojson", "terrain.geojson"):
        assert name in readme
    assert "derive_geodata.py" in readme and "APPROXIMATE" in readme
