"""Pictures of a run: the influence map, time series and the Mesa SolaraViz browser view.

The drawing modules (:mod:`.style`, :mod:`.outlines`, :mod:`.maps`, :mod:`.series`) need only
matplotlib (the ``report`` extra); :mod:`.app` and :mod:`.server` need Solara (the ``viz``
extra). Nothing is imported here, so ``import multipolar.viz`` never fails on a lean install.
"""

from __future__ import annotations

__all__: list[str] = []
