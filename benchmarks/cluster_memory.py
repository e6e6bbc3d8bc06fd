"""Memory and time of a first poll's near-duplicate plan: the in-batch index and the
band rows a batch of N new entries builds (``plan_stories`` against an empty warehouse,
then ``fill_batch``, as a first poll or a backfill does).

    python benchmarks/cluster_memory.py                 # 25,000 entries
    python benchmarks/cluster_memory.py --entries 5000

The entries are the ingest benchmark's generated feeds, parsed and normalised (no
enrichment: the profiles read the summary). Printed: wall seconds of plan + fill (best of
``--rounds``, untraced), the Python heap's peak above the entries themselves
(tracemalloc, a separate traced round), the process's peak RSS, and a digest of the plan
(every appearance's story, every member row, every band row) — equal digests mean the
same clusters and the same index writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import generate_feeds

from newswire.flows.steps.load import fill_batch, plan_stories
from newswire.tasks.catalog import Feed
from newswire.tasks.cluster import load_policy
from newswire.tasks.dedupe import History
from newswire.tasks.normalise import normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.settings import NormalisePolicy
from newswire.warehouse.writer import CommitBatch, Warehouse

SEEN = datetime(2025, 10, 2, tzinfo=UTC)


def batch_entries(count: int) -> list:
    """The ingest benchmark's generated feeds (50 entries each, a fifth of the entries
    syndicated copies in several feeds), parsed and normalised: ``count`` entries."""
    with tempfile.TemporaryDirectory(prefix="cluster-memory-feeds-") as tmp:
        generate_feeds(Path(tmp), feeds=max(1, count // 50), entries=50)
        entries = []
        for path in sorted((Path(tmp) / "feeds").glob("*.xml"), key=lambda p: int(p.stem[4:])):
            feed = Feed(
                id=path.stem,
                name=path.stem,
                url=f"https://{path.stem}.example/rss",
                kind="outlet",
                language="en",
                country="KZ",
            )
            document = parse_document(path.read_bytes(), {}, feed.url, 10_000_000)
            entries += normalise_document(document, feed, SEEN, feed.url, NormalisePolicy(), raw_sha256="x")
    return entries[:count]


def plan_and_fill(warehouse: Warehouse, entries: list) -> CommitBatch:
    plan, clustered = plan_stories(warehouse, entries, History(), SEEN, load_policy())
    commit = CommitBatch(run_id="memory", flow="bench", started_at=SEEN)
    fill_batch(commit, plan, clustered, SEEN)
    return commit


def digest(commit: CommitBatch) -> str:
    """What the plan decided, independent of how it is held in memory."""
    h = hashlib.sha256()
    for aid, state in sorted(commit.appearance_state.items()):
        h.update(f"{aid}\x1f{state.story_id}\n".encode())
    for aid, row in sorted(commit.cluster_members.items()):
        h.update(json.dumps([aid, {k: v for k, v in row.items() if k != "signature"}], default=str).encode())
        h.update(row["signature"])
    bands = commit.cluster_bands
    pairs = (
        sorted(
            zip(bands.keys.tolist(), [bands.appearance_ids[o] for o in bands.owners.tolist()], strict=True)
        )
        if hasattr(bands, "owners")
        else sorted((b.key, b.appearance_id) for b in bands)
    )
    h.update(json.dumps(pairs).encode())
    return h.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=25_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    entries = batch_entries(args.entries)
    with tempfile.TemporaryDirectory(prefix="cluster-memory-") as tmp:
        warehouse = Warehouse(Path(tmp))
        with warehouse.state():
            pass  # the state database exists before anything is timed
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            commit = plan_and_fill(warehouse, entries)
            times.append(time.perf_counter() - started)
        plan_digest = digest(commit)
        del commit
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        commit = plan_and_fill(warehouse, entries)
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(
        json.dumps(
            {
                "entries": args.entries,
                "seconds": round(min(times), 2),
                "traced_peak_mib": round((peak - base) / 2**20, 1),
                "traced_held_mib": round((held - base) / 2**20, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "stories": len({s.story_id for s in commit.appearance_state.values()}),
                "band_rows": len(commit.cluster_bands),
                "digest": plan_digest,
            }
        )
    )


if __name__ == "__main__":
    main()
