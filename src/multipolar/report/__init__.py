"""``multipolar report``: PNG figures and a ``report.md`` from a run directory.

Needs the ``report`` extra (matplotlib). The figures are listed in
:data:`multipolar.report.figures.FIGURES`; the intervals behind the membership timeline come
from :func:`multipolar.report.timeline.membership_intervals`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_report"]


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the figures and ``report.md`` of a run directory into ``out`` (default: inside it).

    Args:
        run_dir: A run directory written by ``multipolar run``.
        out: Folder for the report; default ``<run_dir>/report``.

    Returns:
        The path of ``report.md``.

    Raises:
        MissingExtraError: matplotlib is not installed.
        RunDirError: ``run_dir`` is not a complete run directory.
    """
    from multipolar.viz.extras import require

    require("report", "multipolar report")
    import matplotlib

    matplotlib.use("Agg")
    from multipolar.report.figures import draw_figures, republics
    from multipolar.report.markdown import render
    from multipolar.report.rundir import load_run

    run = load_run(Path(run_dir))
    out = Path(out) if out is not None else run.path / "report"
    figures = draw_figures(run, out)
    text = render(run, figures, out, republics(run))
    path = out / "report.md"
    path.write_text(text, encoding="utf-8")
    return path
