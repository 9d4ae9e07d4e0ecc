"""Rasters against places whose coordinates are typed from general knowledge of the region."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from multipolar.geography import CONDUCTANCE_KINDS, Geography, Grid, build_geography
from multipolar.geography._raster import cells_inside

CONDUCTANCE = {"open_land": 1.0, "mountains": 0.4, "water": 0.1}  # as in conftest.py

CAPITALS = {  # name: (lon, lat, iso3)
    "Astana": (71.45, 51.17, "KAZ"),
    "Dushanbe": (68.78, 38.56, "TJK"),
    "Tashkent": (69.28, 41.31, "UZB"),
    "Bishkek": (74.60, 42.87, "KGZ"),
    "Ashgabat": (58.38, 37.95, "TKM"),
    "Kabul": (69.17, 34.53, "AFG"),
    "Tehran": (51.39, 35.69, "IRN"),
    "Baku": (49.87, 40.41, "AZE"),
    "Yerevan": (44.51, 40.18, "ARM"),
    "Tbilisi": (44.80, 41.72, "GEO"),
    "Islamabad": (73.05, 33.68, "PAK"),
    "Urumqi": (87.62, 43.83, "CHN"),
    "Khovd": (91.64, 48.01, "MNG"),  # Ulaanbaatar (106.9 E) lies east of the grid
}

BASIN_PLACES = {  # name: (lon, lat, acceptable basins)
    "Fergana": (71.78, 40.38, {"Ferghana"}),
    "Andijan": (72.34, 40.78, {"Ferghana"}),
    "Namangan": (71.67, 41.00, {"Ferghana"}),
    "Kokand": (70.94, 40.53, {"Ferghana"}),
    "Nukus": (59.61, 42.46, {"Aral", "Amu Darya"}),
    "Muynak": (59.02, 43.77, {"Aral", "Amu Darya"}),
    "Almaty": (76.95, 43.24, {"Balkhash-Ili"}),
    "Kapchagay": (77.07, 43.88, {"Balkhash-Ili"}),
    "Taldykorgan": (78.37, 45.02, {"Balkhash-Ili"}),
    "Kashgar": (75.99, 39.47, {"Tarim"}),
    "Khotan": (79.92, 37.11, {"Tarim"}),
    "Aksu": (80.26, 41.17, {"Tarim"}),
    "Karamay": (84.87, 45.60, {"Dzungaria"}),
    "Samarkand": (66.96, 39.65, {"Amu Darya"}),
    "Termez": (67.28, 37.22, {"Amu Darya"}),
    "Shymkent": (69.60, 42.32, {"Syr Darya"}),
    "Kyzylorda": (65.51, 44.85, {"Syr Darya"}),
    "Atyrau": (51.92, 47.10, {"Caspian"}),
    "Astrakhan": (48.03, 46.35, {"Caspian"}),
    "Omsk": (73.37, 54.98, {"Irtysh"}),
    "Semey": (80.23, 50.41, {"Irtysh"}),
    "Kandahar": (65.71, 31.61, {"Afghan highlands"}),
}

BASIN_NAMES = (
    "Caspian", "Aral", "Amu Darya", "Syr Darya", "Ferghana",
    "Balkhash-Ili", "Tarim", "Dzungaria", "Irtysh", "Afghan highlands",
)  # fmt: skip


def value_at(geography: Geography, layer: str, lon: float, lat: float):
    row, col = geography.grid.cell_of(lon, lat)
    array = getattr(geography, layer)
    if layer == "country":
        return geography.country_codes[array[row, col]]
    if layer == "basin":
        return geography.basin_names[array[row, col]]
    return float(array[row, col])


@pytest.mark.parametrize("city", sorted(CAPITALS))
def test_capitals_lie_in_their_country(geo, city):
    lon, lat, iso3 = CAPITALS[city]
    assert value_at(geo, "country", lon, lat) == iso3


def test_ulaanbaatar_is_outside_the_grid(geo25):
    assert not geo25.grid.contains(106.92, 47.92)


@pytest.mark.parametrize("place", sorted(BASIN_PLACES))
def test_places_lie_in_their_basin(geo, place):
    lon, lat, basins = BASIN_PLACES[place]
    assert value_at(geo, "basin", lon, lat) in basins


def test_basin_table_names_the_design_basins(geo25):
    assert geo25.basin_names[0] == ""
    assert sorted(geo25.basin_names[1:]) == sorted(BASIN_NAMES)
    counts = geo25.cell_counts("basin")
    assert np.all(counts[1:] > 0), dict(zip(geo25.basin_names, counts, strict=True))


def test_ferghana_beats_the_enclosing_syr_darya(geo05):
    ferghana = geo05.basin_mask("Ferghana")
    syr = geo05.basin_mask("Syr Darya")
    assert ferghana.sum() > 0 and syr.sum() > ferghana.sum()
    assert not np.any(ferghana & syr)


def test_caspian_has_no_country_and_water_conductance(geo):
    assert value_at(geo, "country", 51.0, 42.0) == ""
    assert value_at(geo, "conductance", 51.0, 42.0) == pytest.approx(CONDUCTANCE["water"])
    assert value_at(geo, "basin", 51.0, 42.0) == "Caspian"


@pytest.mark.parametrize(("lon", "lat"), [(50.0, 28.5), (40.6, 42.3)])  # Persian Gulf, Black Sea
def test_seas_without_a_water_feature_conduct_like_water(geo, lon, lat):
    assert value_at(geo, "country", lon, lat) == ""
    assert value_at(geo, "conductance", lon, lat) == pytest.approx(CONDUCTANCE["water"])


@pytest.mark.parametrize(("lon", "lat"), [(74.6, 46.4), (77.3, 42.45)])  # Balkhash, Issyk-Kul
def test_inland_lakes_keep_their_country_but_conduct_like_water(geo, lon, lat):
    assert value_at(geo, "country", lon, lat) in {"KAZ", "KGZ"}
    assert value_at(geo, "conductance", lon, lat) == pytest.approx(CONDUCTANCE["water"])


@pytest.mark.parametrize(
    ("lon", "lat"), [(73.97, 38.17), (72.5, 38.6), (80.0, 42.0), (70.0, 35.5), (88.0, 49.5)]
)  # Murghab (Pamir), Pamir, Tian Shan, Hindu Kush, Altai
def test_mountain_cells_take_the_mountain_value(geo, lon, lat):
    assert value_at(geo, "conductance", lon, lat) == pytest.approx(CONDUCTANCE["mountains"])


@pytest.mark.parametrize(("lon", "lat"), [(66.0, 48.0), (64.0, 40.5), (82.0, 40.0), (75.0, 53.0)])
def test_plains_and_deserts_are_open_land(geo, lon, lat):
    assert value_at(geo, "conductance", lon, lat) == pytest.approx(CONDUCTANCE["open_land"])


def test_layers_have_the_documented_types_and_ranges(geo):
    shape = geo.grid.shape
    assert geo.country.shape == geo.basin.shape == geo.conductance.shape == shape
    assert geo.country.dtype == np.int32 and geo.basin.dtype == np.int32
    assert geo.conductance.dtype == np.float32
    assert np.all(geo.conductance > 0) and np.all(geo.conductance <= 1)
    assert set(np.unique(geo.conductance)) <= {np.float32(v) for v in CONDUCTANCE.values()}
    assert geo.country_codes[0] == ""
    assert {"KAZ", "KGZ", "TJK", "TKM", "UZB", "AFG", "CHN", "RUS", "IRN"} <= set(geo.country_codes)


def test_layers_are_read_only(geo25):
    with pytest.raises(ValueError):
        geo25.country[0, 0] = 1
    with pytest.raises(ValueError):
        geo25.conductance[0, 0] = 0.5


def test_country_helpers(geo25):
    index = geo25.country_index("KAZ")
    assert geo25.country_codes[index] == "KAZ"
    mask = geo25.country_mask("KAZ")
    counts = geo25.cell_counts()
    assert mask.dtype == bool and mask.sum() == counts[index] > 0
    assert counts.sum() == geo25.country.size
    assert len(counts) == len(geo25.country_codes)
    for bad in ("XYZ", "", "kaz"):
        with pytest.raises(KeyError, match="unknown country code"):
            geo25.country_index(bad)
    with pytest.raises(KeyError, match="unknown basin"):
        geo25.basin_index("Danube")
    with pytest.raises(ValueError):
        geo25.cell_counts("ocean")


def test_central_asian_states_are_sized_plausibly(geo25):
    counts = dict(zip(geo25.country_codes, geo25.cell_counts(), strict=True))
    # Kazakhstan is by far the largest of the five; Tajikistan and Kyrgyzstan the smallest.
    assert counts["KAZ"] > 3 * max(counts["UZB"], counts["TKM"])
    assert min(counts["UZB"], counts["TKM"]) > max(counts["TJK"], counts["KGZ"])


def _majority(fine: np.ndarray, factor: int) -> np.ndarray:
    values, labels = np.unique(fine, return_inverse=True)
    labels = labels.reshape(fine.shape)
    height, width = fine.shape[0] // factor, fine.shape[1] // factor
    blocks = labels.reshape(height, factor, width, factor).transpose(0, 2, 1, 3)
    votes = (blocks.reshape(height, width, -1)[..., None] == np.arange(len(values))).sum(axis=2)
    return values[votes.argmax(axis=-1)]


@pytest.mark.parametrize("layer", ["country", "basin", "conductance"])
def test_fine_rasters_agree_with_coarse_ones(geo25, geo05, layer):
    coarse = getattr(geo25, layer)
    fine = getattr(geo05, layer)
    if layer != "conductance":  # compare codes, not indices
        table = geo25.country_codes if layer == "country" else geo25.basin_names
        assert table == (geo05.country_codes if layer == "country" else geo05.basin_names)
    agreement = np.mean(_majority(fine, 5) == coarse)
    assert agreement >= 0.95, agreement


def test_feature_overrides_and_overlaps_take_the_minimum(tmp_path):
    grid = Grid(resolution=0.25)
    geo = build_geography(
        grid, CONDUCTANCE, features={"Pamir": 0.05, "Issyk-Kul": 0.9}, cache_dir=tmp_path
    )
    assert value_at(geo, "conductance", 73.97, 38.17) == pytest.approx(0.05)  # Pamir
    assert value_at(geo, "conductance", 80.0, 42.0) == pytest.approx(0.4)  # Tian Shan
    # Issyk-Kul lies inside the Tian Shan: min(0.9, mountains 0.4).
    assert value_at(geo, "conductance", 77.3, 42.45) == pytest.approx(0.4)


def test_a_mountain_value_above_open_land_still_applies(tmp_path):
    geo = build_geography(
        Grid(resolution=0.5), {"open_land": 0.5, "mountains": 0.8, "water": 0.2}, cache_dir=tmp_path
    )
    assert value_at(geo, "conductance", 73.97, 38.17) == pytest.approx(0.8)
    assert value_at(geo, "conductance", 66.0, 48.0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("conductance", "features", "message"),
    [
        ({"open_land": 1.0, "mountains": 0.4}, None, "missing: water"),
        ({**CONDUCTANCE, "desert": 0.5}, None, "unknown: desert"),
        ({**CONDUCTANCE, "water": 0.0}, None, "water"),
        ({**CONDUCTANCE, "water": 1.5}, None, "water"),
        ({**CONDUCTANCE, "water": float("nan")}, None, "water"),
        ({**CONDUCTANCE, "water": "low"}, None, "water"),
        ({**CONDUCTANCE, "water": "0.5"}, None, "water"),
        ({**CONDUCTANCE, "water": True}, None, "water"),
        (CONDUCTANCE, {"Alps": 0.3}, "Pamir"),
        (CONDUCTANCE, {"Pamir": -0.1}, "Pamir"),
    ],
)
def test_bad_settings_raise_value_error(tmp_path, conductance, features, message):
    with pytest.raises(ValueError, match=message):
        build_geography(Grid(resolution=0.5), conductance, features, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_conductance_kinds_are_the_documented_three():
    assert set(CONDUCTANCE_KINDS) == {"open_land", "mountains", "water"}


def test_geography_rejects_arrays_that_do_not_fit_its_grid(geo25):
    grid = Grid(resolution=0.5)
    with pytest.raises(ValueError):
        Geography(
            grid, geo25.country_codes, geo25.country.copy(), geo25.basin_names,
            geo25.basin.copy(), geo25.conductance.copy(),
        )  # fmt: skip
    shape = grid.shape
    labels = np.zeros(shape, np.int32)
    with pytest.raises(ValueError):
        Geography(grid, ("",), labels + 1, ("",), labels, np.ones(shape, np.float32))
    with pytest.raises(ValueError):
        Geography(grid, ("",), labels, ("",), labels, np.zeros(shape, np.float32))
    with pytest.raises(ValueError):
        Geography(grid, ("KAZ",), labels, ("",), labels, np.ones(shape, np.float32))


def test_tiled_rasterizer_matches_a_direct_point_in_polygon_test():
    grid = Grid(lon_min=40.0, lon_max=60.0, lat_min=30.0, lat_max=50.0, resolution=0.05)
    shell = [(38.0, 35.0), (55.0, 31.0), (58.7, 49.3), (47.0, 52.0), (44.0, 40.0)]
    hole = [(47.0, 38.0), (52.0, 38.0), (50.0, 45.0)]
    geometry = MultiPolygon([Polygon(shell, [hole]), Polygon([(41, 31), (43, 31), (42, 33)])])
    lons, lats = grid.lon_centers(), grid.lat_centers()
    expected = shapely.contains_xy(geometry, lons[None, :], lats[:, None])
    got = np.zeros(grid.shape, dtype=bool)
    for window, mask in cells_inside(grid, geometry):
        got[window] |= mask
    assert expected.sum() > 50_000
    assert np.array_equal(got, expected)


def test_geography_imports_neither_mesa_nor_polars():
    import subprocess
    import sys

    code = (
        "import sys, multipolar.geography\n"
        "bad = {'mesa', 'polars'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
