"""InfluenceField: schemes, ping-pong buffers, host copies, and the implicit scheme's accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from multipolar import MultipolarModel, load_scenario
from multipolar.config.checks import substeps_for
from multipolar.field import InfluenceField
from multipolar.geography import Grid
from multipolar.geography.layers import Geography
from multipolar.kernels import get_backend
from multipolar.kernels.memory import is_aligned
from multipolar.sources import SourceBatch

HOST_BACKENDS = ["numpy", "numba"]


def _geography(seed: int = 0) -> Geography:
    rng = np.random.default_rng(seed)
    grid = Grid(40.0, 46.0, 28.0, 31.0, 0.25)
    shape = grid.shape
    return Geography(
        grid=grid,
        country_codes=("", "AAA", "BBB"),
        country=rng.integers(0, 3, shape).astype(np.int32),
        basin_names=("", "north"),
        basin=rng.integers(0, 2, shape).astype(np.int32),
        conductance=rng.uniform(0.1, 1.0, shape).astype(np.float32),
    )


def _field(backend: str, scheme: str | None = None, substeps: int = 5) -> InfluenceField:
    options = {} if scheme is None else {"scheme": scheme}
    d = np.array([3.0, 1.0], np.float32)
    lam = np.array([0.2, 0.1], np.float32)
    return InfluenceField(get_backend(backend), _geography(), d, lam, substeps, **options)


def _batch(n_channels: int = 2) -> SourceBatch:
    table = np.array([[0.0, 1.0, 0.5], [0.0, 0.2, 2.0]], np.float32)[:n_channels]
    return SourceBatch(
        table=table,
        channels=np.array([0, 1]),
        rows=np.array([3, 7]),
        cols=np.array([4, 10]),
        values=np.array([5.0, 9.0], np.float32),
    )


def test_positional_arguments_still_work_and_the_default_is_explicit():
    field = _field("numpy")
    assert field.scheme == "explicit" and field.substeps == 5 and field.dt == pytest.approx(0.2)


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="scheme must be one of explicit, implicit"):
        _field("numpy", scheme="semi")


@pytest.mark.parametrize("scheme", ["explicit", "implicit"])
@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_advance_equals_diffuse_and_ping_pongs_two_buffers(backend, scheme):
    field = _field(backend, scheme)
    field.set_sources(_batch())
    want = np.asarray(field.u).copy()
    buffers = {id(field.u), id(field._spare)}
    for months in (1, 2, 1):
        want = field.backend.diffuse(
            want, field.c, field.s, field.D, field.lam, field.dt, 5 * months, scheme=scheme
        )
        field.advance(months)
        assert {id(field.u), id(field._spare)} == buffers
        np.testing.assert_array_equal(field.to_host(), want)
    assert field.version == 3 and want.sum() > 0


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_sources_and_readings_by_label(backend):
    # Sources: the table's value on every cell of its label, plus the point cells.
    field = _field(backend, "implicit")
    batch = _batch()
    field.set_sources(batch)
    geo = field.geography
    want = batch.table[:, geo.country]
    want[batch.channels, batch.rows, batch.cols] += batch.values
    np.testing.assert_array_equal(np.asarray(field.s), want)
    # Readings: one pass over (country, basin) pairs gives both margins.
    field.advance(2)
    u = field.to_host().astype(np.float64)
    countries = [u[:, geo.country == z].sum(axis=1) for z in range(len(geo.country_codes))]
    basins = [u[:, geo.basin == z].sum(axis=1) for z in range(len(geo.basin_names))]
    np.testing.assert_allclose(field.country_sums(), np.stack(countries, axis=1), rtol=1e-12)
    np.testing.assert_allclose(field.basin_sums(), np.stack(basins, axis=1), rtol=1e-12)
    before = field.country_sums()
    field.advance()
    assert not np.allclose(field.country_sums(), before)  # read again after a step


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_to_host_is_a_snapshot_the_next_steps_do_not_touch(backend):
    field = _field(backend, "implicit")
    field.set_sources(_batch())
    field.advance()
    first = field.to_host()
    kept = first.copy()
    assert field.to_host() is first  # at most one copy per step
    field.advance()
    field.advance()
    np.testing.assert_array_equal(first, kept)
    assert not np.array_equal(field.to_host(), kept)


@pytest.fixture(scope="module")
def default_model() -> MultipolarModel:
    """The default scenario, built (its fields spun up) once for the accuracy tests."""
    return MultipolarModel(scenario=load_scenario(), backend="numba", rng=5)


@pytest.mark.slow
def test_implicit_default_substeps_track_the_explicit_fields_over_12_months(default_model):
    # The default scenario's sources, from the spun-up fields, 12 months: < 2 % relative L2.
    field = default_model.field
    u0, c, s = (np.asarray(a).copy() for a in (field.u, field.c, field.s))
    implicit = load_scenario(overrides=["diffusion.scheme=implicit"])
    explicit = load_scenario(overrides=["diffusion.scheme=explicit"])
    n_implicit, n_explicit = substeps_for(implicit), substeps_for(explicit)
    assert n_implicit < n_explicit
    backend = get_backend("numba")
    a = b = u0
    for _ in range(12):
        a = backend.diffuse(a, c, s, field.D, field.lam, 1 / n_explicit, n_explicit)
        b = backend.diffuse(
            b, c, s, field.D, field.lam, 1 / n_implicit, n_implicit, scheme="implicit"
        )
        error = np.sqrt(((b - a) ** 2).sum(axis=(1, 2)) / (a**2).sum(axis=(1, 2)))
        assert error.max() < 0.02, error
    # A fresh start is the harshest case: after the model's 24-month spin-up, still < 2 %.
    a = b = np.zeros_like(u0)
    a = backend.diffuse(a, c, s, field.D, field.lam, 1 / n_explicit, 24 * n_explicit)
    b = backend.diffuse(
        b, c, s, field.D, field.lam, 1 / n_implicit, 24 * n_implicit, scheme="implicit"
    )
    error = np.sqrt(((b - a) ** 2).sum(axis=(1, 2)) / (a**2).sum(axis=(1, 2)))
    assert error.max() < 0.02, error


HEADLINE = ("ca_share_", "rivalry_rus_chn_ca", "polarity_n_eff", "bloc_polarization")


@pytest.mark.slow
def test_headline_metrics_agree_within_0_005_over_12_months():
    # The same model and seed, its field advanced by either scheme at the default substeps.
    runs = {}
    for scheme in ("explicit", "implicit"):
        model = MultipolarModel(scenario=load_scenario(), backend="numba", rng=11)
        n = substeps_for(load_scenario(overrides=[f"diffusion.scheme={scheme}"]))
        old = model.field
        field = InfluenceField(old.backend, old.geography, old.D, old.lam, n, scheme=scheme)
        field.u, field.s = old.u.copy(), old.s.copy()
        model.field = field
        for _ in range(12):
            model.step()
        runs[scheme] = model.datacollector.model_vars
    keys = [k for k in runs["explicit"] if k.startswith(HEADLINE)]
    assert len(keys) >= 6, keys
    for key in keys:
        a = np.asarray(runs["explicit"][key], dtype=float)
        b = np.asarray(runs["implicit"][key], dtype=float)
        assert np.abs(a - b).max() < 0.005, key


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_relax_reaches_the_steady_state_the_long_run_reaches(backend: str) -> None:
    """Three-month implicit steps (the spin-up's) reach the state short ones converge to."""
    long_run, relaxed = _field(backend, "implicit"), _field(backend, "implicit")
    for field in (long_run, relaxed):
        field.set_sources(_batch())
    long_run.advance(200)  # 1000 substeps: the steady state, to float32
    relaxed.relax(120, steps=40)
    a, b = long_run.to_host(), relaxed.to_host()
    assert np.all(b >= 0)
    np.testing.assert_allclose(b, a, rtol=1e-2, atol=1e-6 * a.max())


def test_relax_refuses_the_explicit_scheme() -> None:
    with pytest.raises(ValueError, match="implicit"):
        _field("numpy", "explicit").relax(12, steps=4)


def test_field_buffers_start_on_cache_lines():
    # The Numba backend streams its stores only into line-aligned outputs, and its vector
    # loads from the fields, sources and conductance split no cache lines.
    field = _field("numba")
    assert all(is_aligned(a) for a in (field.u, field._spare, field.s, field.c))
