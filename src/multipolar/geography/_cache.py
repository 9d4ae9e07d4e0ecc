"""On-disk cache of rasterized layers: one ``.npz`` file per (data, grid, settings) key.

Files are written to a temporary name in the cache folder and moved into place with
``os.replace``, so a reader sees either nothing or a complete file. A file that cannot be read
back (truncated, corrupt, wrong arrays) counts as a miss and is rebuilt by the caller.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1  # bump when the rasterization rules or the file layout change
ARRAY_NAMES = ("country_codes", "country", "basin_names", "basin", "conductance")


def default_cache_dir() -> Path:
    """The cache folder used when none is given.

    ``$MULTIPOLAR_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/multipolar``, else
    ``~/.cache/multipolar``; empty variables count as unset.
    """
    explicit = os.environ.get("MULTIPOLAR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "multipolar"


def cache_key(sources: Iterable[Path], settings: Mapping[str, object]) -> str:
    """Hex digest of the source files' names and bytes and of the JSON-able ``settings``."""
    digest = hashlib.sha256(f"multipolar-geography-v{FORMAT_VERSION}".encode())
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def load(path: Path) -> dict[str, np.ndarray] | None:
    """Return the arrays stored at ``path``, or None if it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in ARRAY_NAMES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return arrays


def save(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` atomically (temporary file, then ``os.replace``).

    Raises:
        OSError: If the folder cannot be created or written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez_compressed(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
