from __future__ import annotations

import numpy as np
import pytest

from multipolar.geography import Grid, _cache, build_geography, layers

CONDUCTANCE = {"open_land": 1.0, "mountains": 0.4, "water": 0.1}
GRID = Grid(resolution=0.5)


def _same(a, b) -> bool:
    return (
        a.country_codes == b.country_codes
        and a.basin_names == b.basin_names
        and np.array_equal(a.country, b.country)
        and np.array_equal(a.basin, b.basin)
        and np.array_equal(a.conductance, b.conductance)
    )


def _fail(*args, **kwargs):
    raise AssertionError("the rasters were rebuilt instead of read from the cache")


@pytest.fixture
def count_builds(monkeypatch):
    calls = []
    original = layers._rasterize

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(layers, "_rasterize", counting)
    return calls


def test_second_build_reads_the_cache(tmp_path, monkeypatch):
    first = build_geography(GRID, CONDUCTANCE, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    monkeypatch.setattr(layers, "_rasterize", _fail)
    second = build_geography(GRID, dict(CONDUCTANCE), cache_dir=tmp_path)
    assert _same(first, second)
    assert second.country.dtype == np.int32 and second.basin.dtype == np.int32


def test_integer_and_float_settings_share_a_cache_entry(tmp_path, monkeypatch):
    build_geography(GRID, CONDUCTANCE, cache_dir=tmp_path)
    monkeypatch.setattr(layers, "_rasterize", _fail)
    build_geography(GRID, {**CONDUCTANCE, "open_land": 1}, cache_dir=tmp_path)
    build_geography(Grid(40, 100, 28, 58, 0.5), CONDUCTANCE, cache_dir=tmp_path)


@pytest.mark.parametrize(
    ("grid", "conductance", "features"),
    [
        (Grid(resolution=0.25), CONDUCTANCE, None),
        (GRID, {**CONDUCTANCE, "mountains": 0.5}, None),
        (GRID, CONDUCTANCE, {"Pamir": 0.2}),
        (Grid(lon_min=50.0, resolution=0.5), CONDUCTANCE, None),
    ],
)
def test_other_settings_get_their_own_entry(tmp_path, count_builds, grid, conductance, features):
    build_geography(GRID, CONDUCTANCE, cache_dir=tmp_path)
    other = build_geography(grid, conductance, features, cache_dir=tmp_path)
    assert len(count_builds) == 2
    assert len(list(tmp_path.glob("*.npz"))) == 2
    assert other.grid == grid


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"not a zip file"),
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        lambda path: path.write_bytes(b""),
        lambda path: np.savez(path, country=np.zeros((2, 2), np.int32)),  # wrong arrays
        lambda path: np.savez(  # right names, wrong shapes
            path,
            country_codes=np.array([""]),
            country=np.zeros((2, 2), np.uint8),
            basin_names=np.array([""]),
            basin=np.zeros((2, 2), np.uint8),
            conductance=np.ones((2, 2), np.float32),
        ),
    ],
    ids=["garbage", "truncated", "empty", "foreign", "wrong-shape"],
)
def test_a_damaged_cache_file_is_rebuilt(tmp_path, count_builds, damage):
    first = build_geography(GRID, CONDUCTANCE, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    damage(path)
    rebuilt = build_geography(GRID, CONDUCTANCE, cache_dir=tmp_path)
    assert len(count_builds) == 2
    assert _same(first, rebuilt)
    with np.load(path) as stored:  # and the file was repaired
        assert stored["country"].shape == GRID.shape


def test_a_crash_while_writing_leaves_no_cache_file(tmp_path, monkeypatch):
    def crash(handle, **arrays):
        handle.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(_cache.np, "savez_compressed", crash)
    with pytest.raises(KeyboardInterrupt):
        build_geography(GRID, CONDUCTANCE, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    build_geography(GRID, CONDUCTANCE, cache_dir=tmp_path)
    assert [p.suffix for p in tmp_path.iterdir()] == [".npz"]


def test_an_unwritable_cache_only_warns(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="could not write the geography cache"):
        geo = build_geography(GRID, CONDUCTANCE, cache_dir=blocker / "cache")
    assert geo.country.shape == GRID.shape


def test_default_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MULTIPOLAR_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _cache.default_cache_dir() == tmp_path / "explicit"
    build_geography(GRID, CONDUCTANCE)
    assert len(list((tmp_path / "explicit").glob("*.npz"))) == 1
    monkeypatch.setenv("MULTIPOLAR_CACHE_DIR", "")
    assert _cache.default_cache_dir() == tmp_path / "xdg" / "multipolar"
    monkeypatch.delenv("MULTIPOLAR_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _cache.default_cache_dir() == tmp_path / "home" / ".cache" / "multipolar"
