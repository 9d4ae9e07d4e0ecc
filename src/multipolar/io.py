"""The run directory: Parquet tables, the final fields and a manifest, written safely.

A run works in a hidden sibling of its target, ``.<name>.partial``, created at the start
(so a second run aimed at the same folder is refused at once, and an unwritable or
uncreatable location is reported before any work). The tables and the manifest are written
there at the end, and the folder is renamed into place without replacing anything that
appeared meanwhile. An interrupted run never leaves a folder that looks complete: a run
directory either has all its files, ending with ``manifest.json``, or does not exist.

A partial folder records its owner (pid and host); one whose owner is dead is *stale*: it
is removed, or, when it holds a checkpoint, reported so that the run can be resumed.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import io
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import zipfile
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from multipolar.mechanisms.instruments import imputed_sites

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = [
    "CHECKPOINT",
    "RUN_FILES",
    "OutputError",
    "RunFolder",
    "default_out_dir",
    "model_tables",
    "package_versions",
    "partial_of",
    "safe_name",
    "stale_partials",
    "write_atomically",
    "write_fields",
    "write_run",
]

RUN_FILES = (
    "model.parquet",
    "states.parquet",
    "basins.parquet",
    "events.parquet",
    "fields_final.npz",
    "manifest.json",
)
OWNER = "owner.json"
CHECKPOINT = "checkpoint.pkl"
_PARTIAL = ".partial"
_NAME_MAX = 255
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class OutputError(ValueError):
    """The output location cannot be used (bad input: exit status 2)."""


def _with_dates(frame: pl.DataFrame) -> pl.DataFrame:
    if "date" in frame.columns:
        frame = frame.with_columns(pl.col("date").str.to_date())
    return frame


def model_tables(
    model: MultipolarModel, names: Collection[str] | None = None
) -> dict[str, pl.DataFrame]:
    """The model's collected data as Polars tables: model, states, basins and events.

    Only the tables in ``names`` when given (a sweep keeps the model table alone by default,
    and building the others would cost each run about a millisecond).
    """
    collector = model.datacollector
    steps = list(range(len(next(iter(collector.model_vars.values())))))
    tables = {
        "model": _with_dates(pl.DataFrame({"step": steps, **collector.model_vars})),
        **{
            name: _with_dates(pl.DataFrame(columns))
            for name, columns in collector.tables.items()
            if names is None or name in names
        },
    }
    if names is None or "events" in names:
        tables["events"] = _events_table(model)
    return {name: table for name, table in tables.items() if names is None or name in names}


def _events_table(model: MultipolarModel) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "step": a.step,
                "date": a.date,
                "kind": a.kind,
                "subject": a.subject,
                "detail": a.detail,
                "cause": a.cause,
            }
            for a in model.applied
        ],
        schema={
            "step": pl.Int64,
            "date": pl.Date,
            "kind": pl.String,
            "subject": pl.String,
            "detail": pl.String,
            "cause": pl.String,
        },
        orient="row",
    )


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on."""
    versions = {"python": platform.python_version()}
    for name in ("multipolar", "mesa", "numpy", "numba", "polars", "pydantic", "shapely", "cupy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _git_revision() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


# ---------------------------------------------------------------------------- names


def safe_name(name: str, limit: int = 80) -> str:
    """A scenario name made safe as one path component: no separators, dots or controls."""
    cleaned = re.sub(r"\.{2,}", ".", _SAFE.sub("_", name)).strip("._-")[:limit].rstrip("._-")
    return cleaned or "run"


def default_out_dir(name: str, base: Path = Path("runs")) -> Path:
    """``runs/<safe name>-<UTC time>-<random>``: unique even for runs started together."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return base / f"{safe_name(name)}-{stamp}-{secrets.token_hex(3)}"


def partial_of(target: Path) -> Path:
    """The hidden folder a run fills before it is renamed to ``target``."""
    return target.parent / f".{target.name}{_PARTIAL}"


# ---------------------------------------------------------------------------- renaming

_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def _renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def rename_no_replace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, failing if ``target`` exists (atomically on Linux).

    Raises:
        FileExistsError: ``target`` exists (or appeared during the call).
    """
    function = _renameat2()
    if function is not None:
        if (
            function(
                _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE
            )
            == 0
        ):
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(errno.EEXIST, "exists", str(target))
        if code not in (errno.EINVAL, errno.ENOSYS):
            raise OSError(code, os.strerror(code), str(target))
    # Elsewhere: rename(2) refuses to replace a non-empty directory; check for an empty one.
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "exists", str(target))
    try:
        os.rename(source, target)
    except OSError as error:
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        raise


# ---------------------------------------------------------------------------- run folders


def _owner_alive(partial: Path) -> bool:
    """Whether the run that owns ``partial`` may still be running."""
    try:
        owner = json.loads((partial / OWNER).read_text(encoding="utf-8"))
        pid, host = int(owner["pid"]), str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        # no owner file yet: a run creating it right now, unless the folder is old
        try:
            age = dt.datetime.now().timestamp() - partial.stat().st_mtime
        except OSError:
            return False
        return age < 60
    if host != socket.gethostname():
        return True  # cannot tell; assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_partials(folder: Path) -> list[Path]:
    """Partial run folders in ``folder`` whose runs are dead."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f".*{_PARTIAL}") if p.is_dir() and not _owner_alive(p))


def clean_stale(folder: Path, keep: Path | None = None) -> list[str]:
    """Remove stale partial folders without a checkpoint; describe the others.

    Returns:
        One line per stale folder kept because it holds a checkpoint (it can be resumed).
    """
    notes = []
    for partial in stale_partials(folder):
        if keep is not None and partial == keep:
            continue
        if (partial / CHECKPOINT).exists():
            target = partial.parent / partial.name[1 : -len(_PARTIAL)]
            notes.append(
                f"note: {partial} is an interrupted run with a checkpoint; "
                f"resume it with `multipolar run --resume {target}` or remove it"
            )
        else:
            shutil.rmtree(partial, ignore_errors=True)
    return notes


def _check_creatable(target: Path) -> None:
    for part in (target.name, partial_of(target).name):
        if len(os.fsencode(part)) > _NAME_MAX:
            raise OutputError(f"{target}: output folder name too long ({len(part)} > {_NAME_MAX})")
    if "\x00" in str(target):
        raise OutputError("output folder name contains a NUL character")
    ancestor = target.parent.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{target}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{target}: {ancestor} is not writable")


@dataclass
class RunFolder:
    """A claimed output location: the target and the partial folder being filled."""

    target: Path
    partial: Path

    @classmethod
    def claim(cls, target: Path, force: bool = False) -> tuple[RunFolder, list[str]]:
        """Check ``target`` can be written and claim it by creating its partial folder.

        Folders are created with the user's umask. Stale partial folders next to the target
        are removed (or reported, when they hold a checkpoint).

        Returns:
            The folder and notes to show the user.

        Raises:
            OutputError: the target exists (without ``force``), another run is writing it,
                or it cannot be created.
        """
        target = Path(target)
        _check_creatable(target)
        if target.exists() and not force:
            raise OutputError(f"{target} already exists; choose another --out or add --force")
        created = [] if target.parent.exists() else [f"note: created the folder {target.parent}"]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(
                f"{target}: cannot create {target.parent}: {error.strerror}"
            ) from None
        partial = partial_of(target)
        notes = clean_stale(target.parent)
        if partial.exists() and force and not _owner_alive(partial):
            shutil.rmtree(partial, ignore_errors=True)
        try:
            partial.mkdir()
        except FileExistsError:
            hint = (
                f"resume it with `multipolar run --resume {target}`, or add --force"
                if (partial / CHECKPOINT).exists()
                else "wait for it, or choose another --out"
            )
            raise OutputError(
                f"{target}: another run is writing this folder ({partial}); {hint}"
            ) from None
        except OSError as error:
            raise OutputError(f"{target}: cannot create {partial}: {error.strerror}") from None
        folder = cls(target, partial)
        folder.write_owner()
        return folder, created + notes

    @classmethod
    def reopen(cls, run_dir: Path) -> RunFolder:
        """The partial folder of an interrupted run (``run_dir`` is its target or itself).

        Raises:
            OutputError: there is no such interrupted run, or it is still running.
        """
        run_dir = Path(run_dir)
        if run_dir.name.startswith(".") and run_dir.name.endswith(_PARTIAL):
            partial = run_dir
            target = run_dir.parent / run_dir.name[1 : -len(_PARTIAL)]
        else:
            target, partial = run_dir, partial_of(run_dir)
        if not (partial / CHECKPOINT).is_file():
            done = (
                " (it finished: its folder is complete)"
                if (target / "manifest.json").exists()
                else ""
            )
            raise OutputError(f"--resume {run_dir}: no interrupted run with a checkpoint{done}")
        if _owner_alive(partial) and (partial / OWNER).exists():
            raise OutputError(f"--resume {run_dir}: that run is still running")
        folder = cls(target, partial)
        folder.write_owner()
        return folder

    def write_owner(self) -> None:
        """Record this process as the folder's owner (for stale-folder detection)."""
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (self.partial / OWNER).write_text(json.dumps(owner) + "\n", encoding="utf-8")

    def has_checkpoint(self) -> bool:
        """Whether the partial folder holds a checkpoint to resume from."""
        return (self.partial / CHECKPOINT).is_file()

    def discard(self) -> None:
        """Remove the partial folder (a failed run without a checkpoint)."""
        shutil.rmtree(self.partial, ignore_errors=True)

    def release(self) -> None:
        """Give up ownership, keeping the folder (an interrupted run with a checkpoint)."""
        (self.partial / OWNER).unlink(missing_ok=True)

    def finish(
        self,
        fill: Callable[[Path], None],
        force: bool = False,
        critical: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> Path:
        """Write the outputs with ``fill`` and rename the folder into place.

        Args:
            fill: writes the run's files into the folder it is given.
            force: replace an existing target.
            critical: a context in which the final renames run (the runner defers signals
                there, so an interrupt never lands between the rename and the clean-up).

        Raises:
            OutputError: the target appeared while the run ran (and ``force`` is off); the
                partial folder is removed.
        """
        staging = self.partial / "outputs"
        staging.mkdir()
        fill(staging)
        trash = self.target.parent / f".{self.target.name}.replaced-{secrets.token_hex(3)}"
        with critical():
            if force and self.target.exists():
                os.rename(self.target, trash)
            try:
                rename_no_replace(staging, self.target)
            except FileExistsError:
                self.discard()
                raise OutputError(
                    f"{self.target} was created by another run while this one ran; "
                    "this run's outputs were not written (add --force to replace)"
                ) from None
            self.discard()
        shutil.rmtree(trash, ignore_errors=True)
        return self.target


def write_atomically(target: Path, fill: Callable[[Path], None], force: bool = False) -> Path:
    """Create directory ``target`` by filling a hidden partial sibling and renaming it in place.

    Raises:
        OutputError: ``target`` already exists (nothing is overwritten without ``force``), or
            cannot be created. (A subclass of ValueError, not FileExistsError.)
    """
    folder, _ = RunFolder.claim(Path(target), force=force)
    try:
        return folder.finish(fill, force=force)
    except BaseException:
        folder.discard()
        raise


# ---------------------------------------------------------------------------- contents

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_fields(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An ``.npz`` file (``np.load`` reads it) whose bytes depend only on the arrays.

    ``np.savez`` stamps each member with the current time; a fixed stamp makes the file of a
    resumed run identical to an uninterrupted one's. Members are stored, not compressed:
    deflate shrinks float fields by about 8% and takes 0.7 s at 0.05 degree (17 MB), more
    than the rest of a 120-month run's output.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def fill_run(model: MultipolarModel, folder: Path, extra: dict[str, Any] | None = None) -> None:
    """Write a finished model's tables, fields and manifest into ``folder``."""
    tables = model_tables(model)
    for name, frame in tables.items():
        frame.write_parquet(folder / f"{name}.parquet")
    grid = model.geography.grid
    write_fields(
        folder / "fields_final.npz",
        {
            "fields": model.field.to_host(),
            "channels": np.array(model.channels),
            "bounds": np.array([grid.lon_min, grid.lon_max, grid.lat_min, grid.lat_max]),
            "resolution": np.array(grid.resolution),
        },
    )
    manifest = {
        "scenario": model.spec.model_dump(mode="json"),
        # the seed the model used (Mesa keeps it; rng= may override the scenario's run.seed)
        # and the generator's initial state, which repeats a run seeded with a Generator
        "seed": _json_int(getattr(model, "_seed", model.spec.run.seed)),
        "rng_initial_state": getattr(model, "_rng", None),
        "backend": model.backend.name,
        "steps": model.steps,
        "substeps": model.substeps,
        "spinup_months": getattr(model, "spinup_months", None),
        "grid_shape": list(model.geography.country.shape),
        "channels": model.channels,
        "imputed_military_share_of_gdp": model.capabilities.imputed_military_share,
        "imputed_site_sizes": imputed_sites(model.world),
        "versions": package_versions(),
        "git_revision": _git_revision(),
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "timings_s": {name: round(s, 4) for name, s in model.times.seconds.items()},
        "rows": {name: frame.height for name, frame in tables.items()},
        **(extra or {}),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _json_int(value: Any) -> Any:
    return int(value) if isinstance(value, int | np.integer) else value


def write_run(
    model: MultipolarModel, out: Path, extra: dict[str, Any] | None = None, force: bool = False
) -> Path:
    """Write a finished model's run directory to ``out`` (atomically)."""
    return write_atomically(out, lambda folder: fill_run(model, folder, extra), force=force)
