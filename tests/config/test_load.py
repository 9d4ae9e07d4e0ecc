"""Loading, extending and overriding scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from multipolar.config import bundled_scenarios, load_scenario, override


def test_default_scenario_has_the_states_and_events_of_the_issue() -> None:
    s = load_scenario()
    for iso3 in (
        "USA",
        "RUS",
        "CHN",
        "KAZ",
        "KGZ",
        "TJK",
        "TKM",
        "UZB",
        "AFG",
        "IRN",
        "TUR",
        "IND",
        "PAK",
        "MNG",
        "AZE",
        "ARM",
        "GEO",
        "BLR",
        "UKR",
    ):
        assert iso3 in s.states
    kinds = {(e.kind, getattr(e, "state", ""), getattr(e, "organization", "")) for e in s.events}
    assert ("join", "FIN", "NATO") in kinds
    assert ("join", "SWE", "NATO") in kinds
    assert ("join", "IRN", "SCO") in kinds
    assert ("join", "BLR", "SCO") in kinds
    assert ("suspend", "ARM", "CSTO") in kinds
    assert any(
        e.kind == "treaty_withdraw" and e.state == "RUS" and str(e.date) == "2023-11-07"
        for e in s.events
    )
    for state in s.states.values():
        assert state.gdp.source and state.gdp.year


def test_every_bundled_scenario_validates() -> None:
    paths = bundled_scenarios()
    assert len(paths) >= 3
    scenarios = [load_scenario(p) for p in paths]
    assert len({s.name for s in scenarios}) == len(paths)
    # `multipolar scenarios` tells them apart: none inherits its parent's description
    descriptions = [s.description for s in scenarios]
    assert all(descriptions) and len(set(descriptions)) == len(paths)


def test_set_overrides_parse_toml_values() -> None:
    s = load_scenario(
        None, ["alignment.rate=0.2", "diffusion.substeps=40", "metrics.focus_role=other"]
    )
    assert s.alignment.rate == 0.2
    assert s.diffusion.substeps == 40
    assert s.metrics.focus_role == "other"


def test_variant_extends_and_appends_events(tmp_path: Path) -> None:
    base = load_scenario()
    path = tmp_path / "v.toml"
    path.write_text(
        'name = "v"\nextends = "central_asia_2023.toml"\n'
        '[[events]]\ndate = 2026-01-01\nkind = "join"\norganization = "SCO"\nstate = "TKM"\n',
        encoding="utf-8",
    )
    s = load_scenario(path)
    assert len(s.events) == len(base.events) + 1
    assert s.states == base.states


def test_extends_a_list_later_files_and_the_file_itself_win(tmp_path: Path) -> None:
    (tmp_path / "first.toml").write_text(
        "[alignment]\nrate = 0.11\nnoise = 0.21\ntemperature = 0.31\n", encoding="utf-8"
    )
    (tmp_path / "second.toml").write_text(
        "[alignment]\nnoise = 0.22\ntemperature = 0.32\n", encoding="utf-8"
    )
    path = tmp_path / "v.toml"
    path.write_text(
        'name = "v"\nextends = ["central_asia_2023.toml", "first.toml", "second.toml"]\n'
        "[alignment]\ntemperature = 0.33\n",
        encoding="utf-8",
    )
    s = load_scenario(path)
    assert (s.alignment.rate, s.alignment.noise, s.alignment.temperature) == (0.11, 0.22, 0.33)
    assert s.states == load_scenario().states


def test_keyword_override_matches_set() -> None:
    assert override(load_scenario(), {"alignment__rate": 0.3}) == load_scenario(
        None, ["alignment.rate=0.3"]
    )


@pytest.mark.parametrize("name", ["central_asia_2023.toml", "history_1992_2024.toml"])
def test_bundled_scenarios_use_the_fitted_parameters(name: str) -> None:
    """Every value in fitted_parameters.toml (the 1992-2007 fit) is in force in the default
    and history scenarios: neither file overrides a fitted key."""
    import tomllib

    from multipolar._resources import configs_dir

    fitted = tomllib.loads((configs_dir() / "fitted_parameters.toml").read_text("utf-8"))
    scenario = load_scenario(name).model_dump()

    def leaves(table: dict, prefix: tuple = ()):
        for key, value in table.items():
            if isinstance(value, dict):
                yield from leaves(value, (*prefix, key))
            else:
                yield (*prefix, key), value

    found = list(leaves(fitted))
    assert found
    for path, value in found:
        here = scenario
        for part in path:
            here = here[part]
        assert here == value, path
