"""SourceBuilder: point amounts (bases, corridors) on their cells, as densities."""

from __future__ import annotations

import numpy as np

from multipolar import load_scenario
from multipolar.model import geography_for
from multipolar.sources import SourceLayout


def _layout() -> SourceLayout:
    scenario = load_scenario()
    return SourceLayout(scenario, geography_for(scenario))


def test_corridors_and_bases_add_up_on_shared_cells():
    layout = _layout()
    project, corridor = next(iter(layout.corridors.items()))
    base = next(iter(layout.base_cell))
    builder = layout.batch(4)
    builder.corridor(1, project, 12.0)
    builder.corridor(1, project, 6.0)  # the same cells again: amounts add
    builder.corridor(3, project, 3.0)  # another channel: separate cells
    builder.base(1, base, 5.0)
    batch = builder.finish()
    keys = set(zip(batch.channels.tolist(), batch.rows.tolist(), batch.cols.tolist(), strict=True))
    assert len(keys) == len(batch.values)  # unique (channel, row, col)
    dense = np.zeros((4, *layout.geography.country.shape))
    np.add.at(dense, (batch.channels, batch.rows, batch.cols), batch.values.astype(np.float64))
    want = np.zeros_like(dense)
    np.add.at(want[1], (corridor.rows, corridor.cols), 18.0 / len(corridor.rows))
    np.add.at(want[3], (corridor.rows, corridor.cols), 3.0 / len(corridor.rows))
    want[1][layout.base_cell[base]] += 5.0
    np.testing.assert_allclose(dense * layout.cell_area, want, rtol=1e-6)
    assert np.isclose((dense * layout.cell_area).sum(), 26.0, rtol=1e-6)


def test_no_point_amounts_give_an_empty_batch():
    layout = _layout()
    batch = layout.batch(2).finish()
    assert batch.values.shape == batch.rows.shape == (0,)
    assert batch.table.shape == (2, layout.n_labels)
