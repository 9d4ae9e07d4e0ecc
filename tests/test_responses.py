"""The model answers its questions: each documented mechanism and variant moves its metric.

For every entry of :data:`multipolar.experiments.RESPONSES` (a mechanism switched off by its
documented key, a shipped variant, a shock) the default scenario is run over four seeds with
and without the change; the metric must move in the documented direction by more than five
times its seed-to-seed standard deviation (a secondary metric, such as the republics'
alignment under a shock whose headline metric is its share, by more than one).
"""

from __future__ import annotations

import json

import pytest

from multipolar.experiments import RESPONSES, Response, effect, replicate, scenario_of

SEEDS = [11, 12, 13, 14]


@pytest.fixture(scope="module")
def runs():
    cache: dict[str, dict] = {}

    def get(spec, months):
        key = spec.model_dump_json() + json.dumps(months)
        if key not in cache:
            cache[key] = replicate(spec, SEEDS, months=months, workers=2)
        return cache[key]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("response", RESPONSES, ids=lambda r: f"{r.name}:{r.metric}")
def test_response_moves_its_metric_beyond_the_seed_noise(response: Response, runs) -> None:
    base = runs(scenario_of(response, baseline=True), response.months)
    changed = runs(scenario_of(response), response.months)
    e = effect(base, changed, response.metric)
    assert e.delta * response.sign > 0, e
    assert abs(e.size) > response.min_size, e


def test_every_mechanism_has_a_response() -> None:
    keys = {change.split("=")[0] for r in RESPONSES for change in r.changes}
    for key in (
        "capability.growth_scale",
        "security_dilemma.response",
        "statecraft.return_on_alignment",
        "alignment.hedging",
        "alignment.threat_weight",
        "alignment.institution_weight",
        "partnership_dynamics.rate",
        "cohesion.effect",
        "treaties.CFE.restraint",
        "partnership.RUS-CHN",
    ):
        assert key in keys, key
    assert {r.variant for r in RESPONSES} >= {"ukraine_war_drain", "bri_acceleration"}
