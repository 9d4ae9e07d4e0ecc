"""Shared fixtures: an isolated raster cache for every test session."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _raster_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the geography cache inside the test session's temporary folder."""
    import os

    os.environ.setdefault("MULTIPOLAR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
