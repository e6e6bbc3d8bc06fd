"""Enrichment throughput, one pass in a fresh process: entries per CPU second of
``enrich_entry`` on the real-feed corpus (../shared/corpus/feeds) and the dev real pages
(tests/fixtures/real/enrich/dev), against an older commit in the same run.

    python benchmarks/enrich_speed.py                         # this checkout, 3 runs
    python benchmarks/enrich_speed.py --base ../other-checkout  # A/B, taking turns
    python benchmarks/enrich_speed.py --base ../day-one --base ../yesterday  # ratios to day-one
    python benchmarks/enrich_speed.py inputs FILE             # write the workloads
    python benchmarks/enrich_speed.py time FILE               # one pass (one process)

Why one pass per process: enrichment memoises per distinct text (language id, mentions,
the outlet's agency), so repeating a pass over the same entries times the memo, not the
work. Each timed run is a new interpreter that loads the rules (not timed), then enriches
every entry once, timed with ``time.process_time`` (CPU, so other sessions' load on the
shared cores counts little). The workloads are built once, by this checkout's parser and
normaliser, and written as JSON, so both commits enrich exactly the same entries; the
timed side imports only ``enrich_entry``, ``EnrichmentRules``, ``NormalisedEntry`` and
``Feed``, which every commit since the first enrichment has, under ``newswire.tasks`` or
the older top-level ``tasks``. With ``--base`` the two checkouts (each with its own
``.venv``) take turns run by run; the table gives medians and each one's ratio to the
first ``--base``.

``outputs FILE`` writes what enrichment made of every entry (clean texts and columns) as
JSON: an optimisation must leave that file byte-identical.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
WORKLOADS = ("corpus", "pages")


def build_inputs(path: Path) -> None:
    """The corpus entries (as ``enrich_eval.py`` builds them) and the dev real pages (as
    the scorer enriches them), written to ``path``."""
    sys.path.insert(0, str(HERE.parent))
    from enrich_eval import REAL, _corpus_entries

    from newswire.tasks.evaluation import load_real_part, real_entry, real_feed

    items = load_real_part(REAL / "dev")
    workloads = {
        "corpus": [{"entry": _jsonable(entry), "feed": None} for entry in _corpus_entries()],
        "pages": [
            {"entry": _jsonable(real_entry(item)), "feed": _jsonable(real_feed(item))} for item in items
        ],
    }
    path.write_text(json.dumps(workloads, ensure_ascii=False), encoding="utf-8")
    print(", ".join(f"{name}: {len(rows)} entries" for name, rows in workloads.items()))


def _jsonable(record: object) -> dict:
    return {
        f.name: (value.isoformat() if isinstance(value, datetime) else value)
        for f in dataclasses.fields(record)
        if not isinstance(value := getattr(record, f.name), (set, frozenset))
    }


def _enrichment_api(tree: Path):
    """(EnrichmentRules, enrich_entry, NormalisedEntry, Feed) of the checkout at ``tree``."""
    sys.path.insert(0, str(tree))
    try:
        from newswire.tasks.catalog import Feed
        from newswire.tasks.enrich import EnrichmentRules, enrich_entry
        from newswire.tasks.normalise import NormalisedEntry
    except ImportError:  # a commit from before the ``newswire`` package
        from tasks.catalog import Feed
        from tasks.enrich import EnrichmentRules, enrich_entry
        from tasks.normalise import NormalisedEntry
    return EnrichmentRules, enrich_entry, NormalisedEntry, Feed


def _records(rows: list[dict], entry_type: type, feed_type: type) -> list[tuple]:
    """(entry, feed) pairs from the JSON rows, keeping the fields this commit's records have."""

    def make(kind: type, values: dict | None):
        if values is None:
            return None
        names = {f.name: f for f in dataclasses.fields(kind)}
        kept = {k: v for k, v in values.items() if k in names}
        for key in ("published_at", "updated_at"):
            if isinstance(kept.get(key), str):
                kept[key] = datetime.fromisoformat(kept[key])
        for key in ("tags",):
            if isinstance(kept.get(key), list):
                kept[key] = tuple(kept[key])
        return kind(**kept)

    return [(make(entry_type, row["entry"]), make(feed_type, row["feed"])) for row in rows]


def time_one_pass(inputs: Path, tree: Path) -> dict[str, float]:
    """Entries per CPU second of one pass over each workload, in this process (fresh)."""
    rules_type, enrich_entry, entry_type, feed_type = _enrichment_api(tree)
    workloads = json.loads(inputs.read_text(encoding="utf-8"))
    prepared = {name: _records(workloads[name], entry_type, feed_type) for name in WORKLOADS}
    rules = rules_type.load()
    rates = {}
    for name in WORKLOADS:
        pairs = prepared[name]
        started = time.process_time()
        for entry, feed in pairs:
            enrich_entry(entry, rules, feed)
        rates[name] = len(pairs) / (time.process_time() - started)
    return rates


def write_outputs(inputs: Path, tree: Path, path: Path) -> None:
    """What enrichment made of every entry, as JSON (for an identical-output check)."""
    rules_type, enrich_entry, entry_type, feed_type = _enrichment_api(tree)
    workloads = json.loads(inputs.read_text(encoding="utf-8"))
    rules = rules_type.load()
    out = {}
    for name in WORKLOADS:
        out[name] = []
        for entry, feed in _records(workloads[name], entry_type, feed_type):
            enrich_entry(entry, rules, feed)
            out[name].append(
                {
                    "title": entry.title,
                    "summary": entry.summary,
                    "body": entry.body,
                    "language": entry.language,
                    "content_hash": entry.content_hash,
                    "word_count": entry.word_count,
                    "enrichment": entry.enrichment,
                }
            )
    path.write_text(
        json.dumps(out, ensure_ascii=False, sort_keys=True, indent=0, default=repr), encoding="utf-8"
    )


def _run(tree: Path, inputs: Path) -> dict[str, float]:
    """One timed pass in a new interpreter: the checkout's own venv."""
    python = tree / ".venv" / "bin" / "python"
    result = subprocess.run(
        [str(python), str(HERE), "time", str(inputs), "--tree", str(tree)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(trees: dict[str, Path], inputs: Path, runs: int) -> None:
    """Every checkout's one-pass rates, taking turns run by run; medians, and each one's
    ratio to the first ``--base`` (the reference) when one is given."""
    rates: dict[str, list[dict[str, float]]] = {label: [] for label in trees}
    for run in range(runs):
        for label, tree in trees.items():
            rates[label].append(_run(tree, inputs))
            shown = "  ".join(f"{w} {rates[label][-1][w]:,.0f}/s" for w in WORKLOADS)
            print(f"run {run + 1} {label:12} {shown}", flush=True)
    reference = next((label for label in trees if label != "this"), None)
    others = [label for label in trees if label != reference]
    print(
        f"\n{'workload':8} "
        + " ".join(f"{label[:12] + ' /s':>15}" for label in trees)
        + ("".join(f" {label[:12] + ' ratio':>18}" for label in others) if reference else "")
    )
    for workload in WORKLOADS:
        medians = {label: statistics.median(r[workload] for r in rates[label]) for label in trees}
        ratios = (
            "".join(f" {medians[label] / medians[reference]:>18.3f}" for label in others) if reference else ""
        )
        print(f"{workload:8} " + " ".join(f"{medians[label]:>15,.0f}" for label in trees) + ratios)


def _label(tree: Path) -> str:
    """A checkout's name in the table: its commit when it is a git checkout, else its folder."""
    result = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or tree.resolve().name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", nargs="?", default="compare", choices=("compare", "inputs", "time", "outputs")
    )
    parser.add_argument("file", nargs="?", type=Path, help="the workloads (inputs, time, outputs: required)")
    parser.add_argument("out", nargs="?", type=Path, help="outputs: where to write the enrichment")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose enrichment is timed")
    parser.add_argument(
        "--base",
        type=Path,
        action="append",
        default=[],
        help="an older checkout (with its .venv) to compare against; repeatable, the first is the reference",
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs per checkout (compare)")
    args = parser.parse_args()
    if args.mode == "inputs":
        build_inputs(args.file)
    elif args.mode == "time":
        print(json.dumps(time_one_pass(args.file, args.tree.resolve())))
    elif args.mode == "outputs":
        write_outputs(args.file, args.tree.resolve(), args.out)
    else:
        trees = {"this": ROOT} | {_label(base): base.resolve() for base in args.base}
        if args.file is not None:
            compare(trees, args.file, args.runs)
            return
        with tempfile.TemporaryDirectory() as scratch:
            inputs = Path(scratch) / "inputs.json"
            subprocess.run([sys.executable, str(HERE), "inputs", str(inputs)], check=True)
            compare(trees, inputs, args.runs)


if __name__ == "__main__":
    main()
