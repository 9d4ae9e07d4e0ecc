"""Choosing a backend by name: errors name the choices, ``auto`` prefers the GPU."""

from __future__ import annotations

import dataclasses

import pytest

from multipolar.kernels import BackendUnavailableError, available_backends, get_backend, registry
from multipolar.kernels.registry import Backend, registered_backends


@pytest.fixture(autouse=True)
def _fresh_cache():
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


def test_every_backend_is_registered():
    assert registered_backends() == ["numpy", "numba", "cupy"]
    assert "numpy" in available_backends()


def test_unknown_name_lists_the_choices():
    with pytest.raises(
        BackendUnavailableError,
        match=r"unknown backend 'torch'; choose from auto, numpy, numba, cupy",
    ):
        get_backend("torch")


def test_unavailable_backend_names_the_available_ones(monkeypatch):
    entry = registry._REGISTRY["numba"]
    monkeypatch.setitem(
        registry._REGISTRY, "numba", dataclasses.replace(entry, probe=lambda: False)
    )
    monkeypatch.setattr(registry._deps, "cuda_device_count", lambda: 0)
    with pytest.raises(
        BackendUnavailableError,
        match=r"backend 'numba' is not available here \(numba is not installed\); "
        r"available: numpy$",
    ):
        get_backend("numba")


def test_cupy_without_a_device_is_an_error_not_a_fallback(monkeypatch):
    monkeypatch.setattr(registry._deps, "cuda_device_count", lambda: 0)
    with pytest.raises(
        BackendUnavailableError,
        match=r"backend 'cupy' is not available here .*; available: numpy, numba",
    ):
        get_backend("cupy")


def test_auto_picks_cupy_when_a_device_is_present(monkeypatch):
    sentinel = object()
    entry = registry._REGISTRY["cupy"]
    monkeypatch.setitem(
        registry._REGISTRY, "cupy", dataclasses.replace(entry, factory=lambda: sentinel)
    )
    monkeypatch.setattr(registry._deps, "cuda_device_count", lambda: 1)
    assert get_backend("auto") is sentinel


def test_auto_picks_numba_without_a_device(monkeypatch):
    monkeypatch.setattr(registry._deps, "cuda_device_count", lambda: 0)
    backend = get_backend("auto")
    assert backend.name == "numba"
    assert isinstance(backend, Backend)


def test_backends_follow_the_protocol(backend):
    assert isinstance(backend, Backend)
    assert backend.name in registered_backends()
