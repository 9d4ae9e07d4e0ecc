"""Locate files that ship with the package: CUDA sources, bundled scenarios, bundled data.

In a wheel, top-level ``kernels/`` and ``configs/`` are installed as ``multipolar/_cuda`` and
``multipolar/_configs``; from a source tree (editable install, ``PYTHONPATH=src``) they are
read from the repository root. Nothing outside the package or the repository is read.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_file", "configs_dir", "cuda_dir", "data_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _bundled(installed: str, in_repo: str) -> Path:
    for candidate in (_PACKAGE / installed, _PACKAGE.parent.parent / in_repo):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {in_repo!r} is missing from this installation")


def cuda_dir() -> Path:
    """Folder holding the CUDA C sources (``*.cu``)."""
    return _bundled("_cuda", "kernels")


def configs_dir() -> Path:
    """Folder holding the bundled scenario files (``*.toml``)."""
    return _bundled("_configs", "configs")


def data_dir() -> Path:
    """Folder holding the bundled geographic data derived by ``scripts/derive_geodata.py``."""
    return _PACKAGE / "data"


def bundled_file(path: str | Path, folder: Path) -> Path:
    """The file a command-line argument names: a path, else a bundled file in ``folder``.

    A relative path that does not exist names the bundled file of that name, with or without
    ``.toml`` (``ukraine_war_drain`` and ``ukraine_war_drain.toml`` alike); otherwise the
    path is returned as given, for its reader to report.
    """
    path = Path(path)
    if path.exists() or path.is_absolute() or not path.name:
        return path
    for candidate in (folder / path, folder / f"{path}.toml"):
        if candidate.is_file():
            return candidate
    return path
