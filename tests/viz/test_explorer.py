"""The model the browser drives: controls become scenario values; Mesa's Reset works on it."""

from __future__ import annotations

import pytest

from multipolar.config import load_scenario
from multipolar.viz.explorer import CONTROLS, ExplorerModel, initial_values, scenario_choices


def test_controls_become_the_models_parameters() -> None:
    base = load_scenario()
    model = ExplorerModel(
        seed="7",
        diffusion=2.0,
        russia_security=0.31,
        china_economy=0.42,
        alignment_rate=0.2,
        partnership=0.15,
        backend="numpy",
    )
    params = model.params
    assert params.run.seed == 7
    assert params.powers["RUS"].effort["security"] == pytest.approx(0.31)
    assert params.powers["CHN"].effort["economy"] == pytest.approx(0.42)
    assert params.alignment.rate == pytest.approx(0.2)
    assert params.partnership["RUS-CHN"] == pytest.approx(0.15)
    for domain in ("security", "economy"):
        assert getattr(params.diffusion, domain).diffusivity == pytest.approx(
            2.0 * getattr(base.diffusion, domain).diffusivity
        )
    assert initial_values(params)["partnership"] == pytest.approx(0.15)
    model.step()
    assert model.steps == 1


def test_defaults_are_the_scenarios_and_every_control_key_exists() -> None:
    model = ExplorerModel(backend="numpy")
    base = load_scenario()
    assert model.params.run.seed == base.run.seed
    assert initial_values(model.params) == {**initial_values(base), "diffusion": 1.0}
    assert set(CONTROLS) <= set(initial_values(base))


def test_mesa_reset_builds_it_from_the_page_parameters() -> None:
    """Mesa's Reset passes the controls by name plus its own Scenario record."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    model = ExplorerModel(backend="numpy")
    kwargs = _build_model_init_kwargs(
        model,
        {"scenario_name": "central_asia_2023", "partnership": 0.25, "seed": "11"},
        add_scenario_when_empty=True,
        require_model_accepts_scenario=True,
    )
    again = type(model)(**kwargs, backend="numpy")
    assert again.params.partnership["RUS-CHN"] == pytest.approx(0.25)
    assert again.params.run.seed == 11


def test_bundled_choices_and_unknown_names() -> None:
    choices = scenario_choices()
    assert "central_asia_2023" in choices and "ukraine_war_drain" in choices
    with pytest.raises(ValueError, match="unknown scenario"):
        ExplorerModel(scenario_name="no_such_scenario", backend="numpy")


def test_effort_sliders_stop_where_the_other_domain_leaves_off() -> None:
    from multipolar.viz.explorer import control_range

    base = load_scenario()
    low, high = control_range(base, "russia_security")
    assert low == 0.0
    assert high == pytest.approx(1.0 - base.powers["RUS"].effort["economy"])
    assert control_range(base, "partnership") == (0.0, 1.0)


def test_values_the_scenario_rejects_fall_back_with_the_reason() -> None:
    base = load_scenario()
    too_much = 1.0 - base.powers["RUS"].effort["economy"] + 0.2
    model = ExplorerModel(russia_security=too_much, seed=5, backend="numpy")
    assert "effort" in model.rejected
    assert model.params.powers["RUS"].effort == base.powers["RUS"].effort
    assert model.params.run.seed == 5  # the seed still applies
