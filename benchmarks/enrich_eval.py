"""Enrichment quality and speed on the labelled sets.

    .venv/bin/python benchmarks/enrich_eval.py [--region feeds/regions/central-asia.toml]

Prints attribution / dateline / country-tag precision and recall per set, every miss, and
throughput of enrich_entry against a baseline measured in the same run (normalise-only
work: the content hash of the raw text), so the ratio says what enrichment costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.enrich import EnrichmentRules, enrich_entry  # noqa: E402
from tasks.evaluation import labelled_entry, load_labelled, score_labelled  # noqa: E402
from tasks.text import content_hash  # noqa: E402

SETS = ROOT / "tests" / "fixtures" / "enrich"


def _throughput(items, rules, repeat: int) -> tuple[float, float]:
    started = time.perf_counter()
    for _ in range(repeat):
        for item in items:
            content_hash(item.title, item.text)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(repeat):
        for item in items:
            enrich_entry(labelled_entry(item), rules, item.feed)
    enriched = time.perf_counter() - started
    count = repeat * len(items)
    return count / baseline, count / enriched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", help="region gazetteer file (default: Central Asia)")
    parser.add_argument("--repeat", type=int, default=20, help="passes for the throughput figure")
    args = parser.parse_args()
    started = time.perf_counter()
    rules = EnrichmentRules.load(region=args.region)
    load_s = time.perf_counter() - started
    print(f"rules loaded in {load_s * 1000:.0f} ms (once per batch)\n")
    print(f"{'set':10} {'measure':28} {'precision':>9} {'recall':>7}  counts")
    everything = []
    for name in ("labelled", "holdout"):
        items = load_labelled(SETS / name)
        everything += items
        scores = score_labelled(items, rules)
        for measure, precision, recall, counts in scores.table():
            print(f"{name:10} {measure:28} {precision:>9} {recall:>7}  {counts}")
        for mistake in scores.mistakes:
            print(f"{'':10} miss: {mistake}")
    baseline, enriched = _throughput(everything, rules, args.repeat)
    print(f"\n{'stage':28} {'items/s':>10} {'ratio':>8}")
    print(f"{'baseline (content hash)':28} {baseline:>10,.0f} {1.0:>8.2f}")
    print(f"{'enrich_entry':28} {enriched:>10,.0f} {enriched / baseline:>8.3f}")


if __name__ == "__main__":
    main()
