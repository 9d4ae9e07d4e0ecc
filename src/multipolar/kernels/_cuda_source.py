"""Read the CUDA C sources that ship with the package and build their compile options.

The sources live in top-level ``kernels/`` (``multipolar/_cuda`` in a wheel, see
:func:`multipolar._resources.cuda_dir`). Each is prefixed with a ``#line`` directive so
compiler errors name the ``.cu`` file and its line instead of an anonymous string.
"""

from __future__ import annotations

from pathlib import Path

from multipolar._resources import cuda_dir

__all__ = [
    "MAX_SUBSTEPS",
    "TILE_H",
    "TILE_W",
    "compile_options",
    "cuda_source",
    "cuda_sources",
]

TILE_H = 32
"""Rows of the tile a block of ``diffuse_tiled`` owns."""

TILE_W = 32
"""Columns of the tile a block of ``diffuse_tiled`` owns."""

MAX_SUBSTEPS = 8
"""Most steps ``diffuse_tiled`` fuses into one launch (sizes its shared memory)."""


def cuda_sources() -> list[Path]:
    """Every ``*.cu`` file shipped with the package, sorted by name."""
    return sorted(cuda_dir().glob("*.cu"))


def cuda_source(name: str) -> str:
    """Text of ``kernels/<name>`` with a ``#line 1 "<absolute path>"`` directive prepended."""
    path = (cuda_dir() / name).resolve()
    quoted = str(path).replace("\\", "\\\\").replace('"', '\\"')
    return f'#line 1 "{quoted}"\n' + path.read_text(encoding="utf-8")


def compile_options(compute_capability: str) -> tuple[str, ...]:
    """NVRTC options for a device of ``compute_capability`` (CuPy's spelling, e.g. ``"90"``).

    ``--fmad=false`` keeps multiply and add separate, as in the float32 reference; the
    tile macros keep the CUDA side in step with :data:`TILE_H`, :data:`TILE_W` and
    :data:`MAX_SUBSTEPS`.
    """
    return (
        f"-arch=sm_{compute_capability}",
        "--fmad=false",
        f"-DTILE_H={TILE_H}",
        f"-DTILE_W={TILE_W}",
        f"-DMAX_SUBSTEPS={MAX_SUBSTEPS}",
    )
