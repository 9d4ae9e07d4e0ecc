"""Effect of every documented mechanism switch and variant, in seed-to-seed SDs.

Runs the default scenario and each change of ``multipolar.experiments.RESPONSES`` over the
same seeds and prints a Markdown table (the one in docs/model.md):

    python scripts/effect_sizes.py --seeds 8 --workers 2 > effects.md
"""

from __future__ import annotations

import argparse
import json

from multipolar.experiments import RESPONSES, effect, replicate, scenario_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    cache: dict[str, dict] = {}

    def runs(spec, months):
        key = spec.model_dump_json() + json.dumps(months)
        if key not in cache:
            cache[key] = replicate(spec, seeds, months=months, workers=args.workers)
        return cache[key]

    columns = ("change", "metric", "window", "baseline", "changed", "delta", "seed SD")
    print("| " + " | ".join((*columns, "delta/SD", "as documented")) + " |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in RESPONSES:
        base = runs(scenario_of(r, baseline=True), r.months)
        changed = runs(scenario_of(r), r.months)
        e = effect(base, changed, r.metric)
        window = "final 60 months" if r.months is None else f"months {r.months[0]}-{r.months[1]}"
        ok = "yes" if e.delta * r.sign > 0 and abs(e.size) > r.min_size else "NO"
        print(
            f"| {r.name} | `{r.metric}` | {window} | {e.baseline:.4f} | {e.changed:.4f} | "
            f"{e.delta:+.4f} | {e.seed_sd:.4f} | {e.size:+.1f} | {ok} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
