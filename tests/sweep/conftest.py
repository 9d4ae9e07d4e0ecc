"""Sweep fixtures: small sweep files on a coarse grid, and an in-process executor."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

TINY = """
[sweep]
name = "tiny"
scenario = "central_asia_2023.toml"
set = ["geography.resolution=1.0"]
months = {months}
seed = 11
replicates = 2
{extra}

[sweep.parameters]
"alignment.rate" = [0.05, 0.2]
"""


@pytest.fixture
def write_sweep(tmp_path: Path) -> Callable[..., Path]:
    """Write a sweep file (the tiny grid by default, or any text) and return its path."""

    def write(
        text: str | None = None, *, months: int = 2, extra: str = "", name: str = "s"
    ) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(text if text is not None else TINY.format(months=months, extra=extra))
        return path

    return write


@pytest.fixture(autouse=True)
def fresh_worker_cache() -> Iterator[None]:
    """Each test starts with this process's kept models forgotten (they are per worker)."""
    from multipolar.sweep import reuse

    reuse.clear()
    yield
    reuse.clear()


@pytest.fixture
def serial() -> Iterator[cf.Executor]:
    """An executor running tasks one at a time in this process (so monkeypatches apply)."""
    with cf.ThreadPoolExecutor(max_workers=1) as executor:
        yield executor
