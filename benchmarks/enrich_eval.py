"""Enrichment quality and speed on the hand-written labelled sets and the real-page corpus.

    .venv/bin/python benchmarks/enrich_eval.py [--region feeds/regions/central-asia.toml]

Prints attribution / dateline / country-tag precision and recall per hand-written set and
every miss; the real-page corpus figures (tests/fixtures/real/enrich: dev, heldout and
heldout2, one column per part, aggregates only, so the held-out parts' items stay unseen);
and throughput of enrich_entry against a baseline measured in the same run (the content
hash of the raw text, which normalise already computes), on the labelled items, the real
pages and every entry of the real-feed corpus (../shared/corpus/feeds), so the ratio says
what enrichment costs per entry.

    .venv/bin/python benchmarks/enrich_eval.py --only speed [--base ../older-checkout]

only the reproducible figure: one pass per fresh process, in CPU time, over the corpus
entries and the dev real pages, taking turns with an older checkout
(benchmarks/enrich_speed.py says why the passes above overstate a memoised pass).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newswire.tasks.catalog import Feed  # noqa: E402
from newswire.tasks.enrich import EnrichmentRules, enrich_entry  # noqa: E402
from newswire.tasks.evaluation import (  # noqa: E402
    labelled_entry,
    load_labelled,
    load_real_part,
    real_entry,
    real_feed,
    real_parts,
    score_labelled,
    score_real,
)
from newswire.tasks.normalise import NormalisedEntry, normalise_document  # noqa: E402
from newswire.tasks.parse import parse_document  # noqa: E402
from newswire.tasks.settings import NormalisePolicy  # noqa: E402
from newswire.tasks.text import content_hash  # noqa: E402

SETS = ROOT / "tests" / "fixtures" / "enrich"
REAL = ROOT / "tests" / "fixtures" / "real" / "enrich"
CORPUS = ROOT.parent / "shared" / "corpus" / "feeds"


def _corpus_entries() -> list[NormalisedEntry]:
    """Every entry of the real feeds in ../shared/corpus/feeds, parsed and normalised."""
    feed = Feed(
        id="corpus", name="Corpus", url="http://corpus.example/", kind="outlet", language="en", country="US"
    )
    entries = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".rss", ".atom", ".rdf"):
            document = parse_document(path.read_bytes(), {}, "http://corpus.example/", 10 * 1024 * 1024)
            if not document.error:
                entries += normalise_document(
                    document, feed, datetime.now(UTC), "http://corpus.example/", NormalisePolicy()
                )
    return entries


def _throughput(entries: list, rules, repeat: int) -> tuple[float, float]:
    """Items/s of the baseline (hashing the raw text, what normalise already does) and of
    enrich_entry, on fresh copies of the same entries. ``entries`` are entries, or
    (entry, feed) pairs for items enriched as their outlet's feed."""
    pairs = [item if isinstance(item, tuple) else (item, None) for item in entries]
    started = time.perf_counter()
    for _ in range(repeat):
        for entry, _feed in pairs:
            content_hash(entry.title, entry.body or entry.summary)
    baseline = time.perf_counter() - started
    copies = [(replace(entry, enrichment={}), feed) for _ in range(repeat) for entry, feed in pairs]
    started = time.perf_counter()
    for entry, feed in copies:
        enrich_entry(entry, rules, feed)
    enriched = time.perf_counter() - started
    count = repeat * len(entries)
    return count / baseline, count / enriched


def _speed(base: Path | None, runs: int) -> None:
    """benchmarks/enrich_speed.py's A/B: each timed pass in its own interpreter."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import enrich_speed

    with tempfile.TemporaryDirectory() as scratch:
        inputs = Path(scratch) / "inputs.json"
        enrich_speed.build_inputs(inputs)
        trees = {"this": ROOT} | ({enrich_speed._label(base): base.resolve()} if base else {})
        enrich_speed.compare(trees, inputs, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", help="region gazetteer file (default: Central Asia)")
    parser.add_argument("--repeat", type=int, default=20, help="passes for the throughput figure")
    parser.add_argument(
        "--only", choices=("speed",), help="speed: one pass per fresh process (enrich_speed.py)"
    )
    parser.add_argument("--base", type=Path, help="--only speed: an older checkout to compare against")
    parser.add_argument("--runs", type=int, default=3, help="--only speed: timed runs per checkout")
    args = parser.parse_args()
    if args.only == "speed":
        _speed(args.base, args.runs)
        return
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
    real_items = []
    parts = real_parts(REAL) if REAL.is_dir() else []
    if parts:
        results = []
        for part in parts:
            items = load_real_part(part)
            real_items += items
            results.append(score_real(items, rules, part.name))
        print(f"\nreal-page corpus ({REAL.relative_to(ROOT)}), aggregates only")
        print(f"{'measure':36}" + "".join(f" {r.part + f' ({r.items})':>14} {'counts':>16}" for r in results))
        tables = [r.table() for r in results]
        for index, (measure, *_rest) in enumerate(tables[0]):
            print(f"{measure:36}" + "".join(f" {t[index][1]:>14} {t[index][2]:>16}" for t in tables))
    print(f"\n{'entries':34} {'n':>6} {'baseline/s':>11} {'enrich/s':>9} {'ratio':>7}")
    workloads = [("labelled + holdout (short)", [labelled_entry(item) for item in everything], args.repeat)]
    if real_items:
        pairs = [(real_entry(item), real_feed(item)) for item in real_items]
        workloads.append(("real pages (every part)", pairs, max(1, args.repeat // 4)))
    if CORPUS.is_dir():
        workloads.append(("corpus feeds (real, longer)", _corpus_entries(), 1))
    for name, entries, repeat in workloads:
        baseline, enriched = _throughput(entries, rules, repeat)
        print(f"{name:34} {len(entries):>6} {baseline:>11,.0f} {enriched:>9,.0f} {enriched / baseline:>7.3f}")


if __name__ == "__main__":
    main()
