"""Ingest benchmark: newswire's flow vs a naive poller and a day-one script, on one
loopback feed server.

    python benchmarks/ingest.py [--sizes 500x50,2000x50] [--runs 3] [--json]
                                [--task-runner thread|process|dask] [--runners process,dask]
                                [--profile FILE]

Generates N RSS feeds (a fifth of the entries are syndicated copies that appear in
several feeds), serves them from one FeedServer (ETag, Last-Modified, gzip), and runs
every pass in its own process, so peak RSS is each side's own:

- naive: sequential ``feedparser.parse(url)`` per feed, a list, pandas
  ``drop_duplicates`` on the link; the re-poll is the same again (it keeps nothing).
- day-one: the script a competent engineer writes on day one — async httpx with 32
  connections, conditional GET with persisted validators, feedparser, guid/URL dedupe
  against a persisted seen-set, pyarrow append of the new rows to a Parquet file per run.
- newswire: the real ``ingest`` flow (fetch, land raw, parse, normalise, enrich,
  near-duplicate clustering, commit) against Prefect's test server. Work seconds are the
  flow call; start-up (imports, the temporary Prefect server) is the rest of the
  process's wall time, reported apart.

Each size runs ``--runs`` times on fresh directories; the table shows medians and the
ratios are medians of the per-run ratios (each measured in the same run, so load swings
mostly cancel). ``--json`` prints the same as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO))  # after PYTHONPATH: `--before` imports its own package

WORDS = """Kazakhstan Uzbekistan Kyrgyzstan Tajikistan Turkmenistan Astana Tashkent Bishkek Dushanbe
Ashgabat trade energy water pipeline summit minister president tariff railway corridor cotton uranium
remittances migrants border talks investment bank grain gas oil election parliament""".split()  # noqa: SIM905

KINDS = ("naive", "dayone", "newswire")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate_feeds(directory: Path, feeds: int, entries: int, seed: int = 7) -> Path:
    """RSS documents plus a catalogue pointing at them via {base}."""
    rng = random.Random(seed)
    start = datetime(2025, 10, 1, tzinfo=UTC)
    shared = [
        (f"https://wire.example/story/{i}", _sentence(rng, 8), " ".join(_sentence(rng, 14) for _ in range(4)))
        for i in range(max(1, feeds * entries // 20))
    ]
    (directory / "feeds").mkdir(parents=True, exist_ok=True)
    catalog = ["[defaults]\npoll_interval_minutes = 15\n"]
    for f in range(feeds):
        items = []
        for e in range(entries):
            if rng.random() < 0.2:
                link, title, body = rng.choice(shared)
            else:
                link = f"https://outlet{f}.example/news/{e}?utm_source=rss"
                title, body = _sentence(rng, 8), " ".join(_sentence(rng, 14) for _ in range(4))
            published = format_datetime(start + timedelta(minutes=f * 7 + e * 31))
            items.append(
                f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
                f"<guid>{escape(link)}</guid><pubDate>{published}</pubDate>"
                f"<description>{escape(body)}</description></item>"
            )
        document = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {f}</title><link>https://outlet{f}.example/</link>{''.join(items)}</channel></rss>"
        )
        (directory / "feeds" / f"feed{f}.xml").write_text(document, encoding="utf-8")
        catalog.append(
            f'[[feed]]\nid = "feed{f}"\nname = "Outlet {f}"\nurl = "{{base}}/feeds/feed{f}.xml"\n'
            f'kind = "outlet"\nlanguage = "en"\ncountry = "KZ"\nallow_private_network = true\n'
        )
    path = directory / "catalog.toml"
    path.write_text("\n".join(catalog), encoding="utf-8")
    return path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _feed_urls(catalog: Path, base: str) -> list[str]:
    import tomllib

    return [f["url"].replace("{base}", base) for f in tomllib.loads(catalog.read_text())["feed"]]


# -- the three pollers ---------------------------------------------------------------------


def worker_newswire(catalog: Path, base: str, data_dir: Path, profile: Path | None) -> dict:
    from newswire.flows.runtime.prefect_env import configure_prefect_environment

    # The test harness's own temporary server, its home beside the run's data.
    os.environ.setdefault("PREFECT_HOME", str(data_dir / "prefect"))
    configure_prefect_environment()
    from prefect.testing.utilities import prefect_test_harness

    from newswire.flows.ingest import ingest

    # The writer's own account of its time (flows/steps/pipeline.py), whatever the log level.
    writer_lines: list[str] = []

    class WriterLine(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith(("writer: ", "linked ")):
                writer_lines.append(record.getMessage().split(": ", 1)[-1])

    with prefect_test_harness(server_startup_timeout=120):
        # The harness waits for the server's health route only; its first API request costs
        # the server 0.8-1.9 s more. That is the temporary server's start-up, as newswire's
        # own server start counts it (flows/runtime/local_server.py), not the flow's work.
        from prefect.settings import PREFECT_API_URL

        from newswire.flows.runtime.local_server import warm_up

        warm_up(PREFECT_API_URL.value())
        for name in ("prefect.flow_runs", "prefect.task_runs"):
            logging.getLogger(name).setLevel(logging.INFO)
            logging.getLogger(name).addHandler(WriterLine())
        profiler = None
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        summary = ingest(
            catalog=str(catalog), catalog_substitutions={"base": base}, data_dir=str(data_dir), force=True
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "entries": summary.entries_seen,
        "rows": summary.new_appearances,
        "stories": summary.new_stories,
        "peak_rss_mb": _peak_rss_mb(),
        # The largest finished child: a process-pool or Dask worker of the run.
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "writer": "; link: ".join(writer_lines),
    }


def worker_naive(catalog: Path, base: str, data_dir: Path) -> dict:
    import feedparser
    import pandas as pd

    urls = _feed_urls(catalog, base)
    started, cpu = time.perf_counter(), time.process_time()
    rows = []
    for url in urls:
        parsed = feedparser.parse(url)
        rows += [{"link": e.get("link"), "title": e.get("title")} for e in parsed.entries]
    unique = pd.DataFrame(rows).drop_duplicates(subset="link")
    return {
        "seconds": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "entries": len(rows),
        "rows": len(unique),
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_dayone(catalog: Path, base: str, data_dir: Path) -> dict:
    """Async httpx (32 connections), conditional GET with persisted validators,
    feedparser, guid/URL dedupe against a persisted seen-set, pyarrow append."""
    import asyncio

    import feedparser
    import httpx
    import pyarrow as pa
    import pyarrow.parquet as pq

    data_dir.mkdir(parents=True, exist_ok=True)
    state_file = data_dir / "state.json"
    urls = _feed_urls(catalog, base)
    started, cpu = time.perf_counter(), time.process_time()
    state = json.loads(state_file.read_text()) if state_file.exists() else {"validators": {}, "seen": []}
    validators: dict[str, dict[str, str]] = state["validators"]
    seen = set(state["seen"])

    async def fetch_all() -> list[tuple[str, httpx.Response]]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            semaphore = asyncio.Semaphore(32)

            async def one(url: str) -> tuple[str, httpx.Response]:
                known = validators.get(url, {})
                headers = {}
                if "etag" in known:
                    headers["If-None-Match"] = known["etag"]
                if "last-modified" in known:
                    headers["If-Modified-Since"] = known["last-modified"]
                async with semaphore:
                    return url, await client.get(url, headers=headers)

            return await asyncio.gather(*(one(url) for url in urls))

    entries, new_rows = 0, []
    for url, response in asyncio.run(fetch_all()):
        if response.status_code != 200:
            continue
        validators[url] = {k: response.headers[k] for k in ("etag", "last-modified") if k in response.headers}
        parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
        for entry in parsed.entries:
            entries += 1
            key = entry.get("id") or entry.get("link")
            if not key or key in seen:
                continue
            seen.add(key)
            new_rows.append(
                {
                    "feed": url,
                    "guid": key,
                    "link": entry.get("link"),
                    "title": entry.get("title"),
                    "summary": entry.get("summary"),
                    "published": entry.get("published"),
                }
            )
    if new_rows:
        pq.write_table(pa.Table.from_pylist(new_rows), data_dir / f"items-{time.time_ns()}.parquet")
    state_file.write_text(json.dumps({"validators": validators, "seen": sorted(seen)}))
    return {
        "seconds": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "entries": entries,
        "rows": len(new_rows),
        "peak_rss_mb": _peak_rss_mb(),
    }


WORKERS = {"naive": worker_naive, "dayone": worker_dayone}


# -- the runs ------------------------------------------------------------------------------


def _run_worker(kind: str, catalog: Path, base: str, data_dir: Path, server, env: dict, profile) -> dict:
    """One pass in its own process (its own peak RSS); bytes are what the server sent."""
    before = server.bytes_sent
    command = [sys.executable, __file__, "--worker", kind, "--catalog", str(catalog), "--base", base]
    command += ["--data-dir", str(data_dir)]
    if profile is not None:
        command += ["--profile", str(profile)]
    started = time.perf_counter()
    output = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PREFECT_LOGGING_LEVEL": "ERROR", **env}
    )
    wall = time.perf_counter() - started
    if output.returncode != 0:
        raise SystemExit(f"{kind} worker failed ({output.returncode}):\n{output.stderr[-4000:]}")
    result = json.loads(output.stdout.strip().splitlines()[-1])
    result["bytes"] = server.bytes_sent - before
    result["startup"] = wall - result["seconds"]
    return result


def run_size(
    feeds: int,
    entries: int,
    runs: int,
    env: dict,
    profile: Path | None,
    before: str | None = None,
    runners: tuple[str, ...] = (),
) -> list[dict]:
    """``runs`` rounds of (naive, day-one, newswire) x (full, re-poll), one dict per round;
    with ``before`` also newswire imported from that directory ("before"); with
    ``runners`` also newswire with each of those NEWSWIRE_TASK_RUNNERs ("newswire-<runner>")."""
    from newswire.cli.demo_server import FeedServer

    rounds = []
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as tmp:
        tmp_path = Path(tmp)
        catalog = generate_feeds(tmp_path / "gen", feeds, entries)
        with FeedServer(tmp_path / "gen") as server:
            for number in range(runs):
                results = {}
                kinds = (*KINDS, *(f"newswire-{r}" for r in runners), *(("before",) if before else ()))
                for kind in kinds:
                    extra = {**env, "PYTHONPATH": before} if kind == "before" else env
                    if kind.startswith("newswire-"):
                        extra = {**env, "NEWSWIRE_TASK_RUNNER": kind.removeprefix("newswire-")}
                    for phase in ("full", "repoll"):
                        wanted = None
                        if profile is not None and kind == "newswire" and number == 0:
                            repoll = profile.with_suffix(".repoll" + profile.suffix)
                            wanted = profile if phase == "full" else repoll
                        results[kind, phase] = _run_worker(
                            "newswire" if kind == "before" or kind.startswith("newswire-") else kind,
                            catalog,
                            server.base_url,
                            tmp_path / f"{kind}-{number}",
                            server,
                            extra,
                            wanted,
                        )
                rounds.append(results)
    return rounds


def summarise(rounds: list[dict], feeds: int, entries: int) -> dict:
    """Medians over the rounds, and the medians of the per-round ratios."""

    def median(kind: str, phase: str, key: str) -> float:
        return statistics.median(r[kind, phase][key] for r in rounds)

    def ratio(kind: str, phase: str, base: str, key: str = "seconds") -> float:
        return statistics.median(r[kind, phase][key] / r[base, phase][key] for r in rounds)

    n = median("naive", "full", "entries")
    figures = {
        "feeds": feeds,
        "entries_per_feed": entries,
        "entries": int(n),
        "runs": len(rounds),
        "load_average": os.getloadavg()[0],
    }
    for kind in KINDS:
        for phase in ("full", "repoll"):
            figures[f"{kind}_{phase}_s"] = round(median(kind, phase, "seconds"), 3)
            figures[f"{kind}_{phase}_cpu_s"] = round(median(kind, phase, "cpu_s"), 3)
            figures[f"{kind}_{phase}_peak_rss_mb"] = round(median(kind, phase, "peak_rss_mb"), 1)
            figures[f"{kind}_{phase}_rows"] = int(median(kind, phase, "rows"))
            figures[f"{kind}_{phase}_bytes"] = int(median(kind, phase, "bytes"))
        figures[f"{kind}_full_entries_per_s"] = round(n / figures[f"{kind}_full_s"], 1)
    figures["newswire_startup_s"] = round(median("newswire", "full", "startup"), 3)
    figures["newswire_peak_rss_mb"] = figures["newswire_full_peak_rss_mb"]
    figures["newswire_stories"] = int(median("newswire", "full", "stories"))
    figures["newswire_over_naive_full"] = round(ratio("newswire", "full", "naive"), 3)
    figures["newswire_over_dayone_full"] = round(ratio("newswire", "full", "dayone"), 3)
    figures["newswire_over_dayone_repoll"] = round(ratio("newswire", "repoll", "dayone"), 3)
    figures["newswire_over_dayone_repoll_cpu"] = round(ratio("newswire", "repoll", "dayone", "cpu_s"), 3)
    figures["dayone_over_naive_full"] = round(ratio("dayone", "full", "naive"), 3)
    figures["newswire_writer"] = rounds[0]["newswire", "full"].get("writer", "")
    for kind in sorted({k for k, _ in rounds[0] if k.startswith("newswire-")}):
        name = kind.replace("-", "_")
        figures[f"{name}_full_s"] = round(median(kind, "full", "seconds"), 3)
        figures[f"{name}_repoll_s"] = round(median(kind, "repoll", "seconds"), 3)
        figures[f"{name}_startup_s"] = round(median(kind, "full", "startup"), 3)
        figures[f"{name}_peak_rss_mb"] = round(median(kind, "full", "peak_rss_mb"), 1)
        figures[f"{name}_worker_peak_rss_mb"] = round(median(kind, "full", "worker_peak_rss_mb"), 1)
        figures[f"{name}_rows"] = int(median(kind, "full", "rows"))
        figures[f"{name}_stories"] = int(median(kind, "full", "stories"))
        # > 1: faster than the default (thread) newswire of the same round.
        figures[f"{name}_speedup_full"] = round(ratio("newswire", "full", kind), 3)
        figures[f"{name}_writer"] = rounds[0][kind, "full"].get("writer", "")
    if ("before", "full") in rounds[0]:
        for phase in ("full", "repoll"):
            figures[f"before_{phase}_s"] = round(median("before", phase, "seconds"), 3)
            figures[f"before_{phase}_peak_rss_mb"] = round(median("before", phase, "peak_rss_mb"), 1)
        figures["before_over_naive_full"] = round(ratio("before", "full", "naive"), 3)
        figures["before_over_dayone_repoll"] = round(ratio("before", "repoll", "dayone"), 3)
        figures["newswire_over_before_full"] = round(ratio("newswire", "full", "before"), 3)
        figures["before_writer"] = rounds[0]["before", "full"].get("writer", "")
    return figures


def print_table(figures: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Ingest: {figures['feeds']} feeds x {figures['entries_per_feed']} entries on loopback, "
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, median of {figures['runs']}, "
        f"load {figures['load_average']:.1f}"
    )
    for column in ("metric", "naive", "day-one", "newswire", "newswire / naive", "newswire / day-one"):
        table.add_column(column, justify="right")

    def row(metric: str, key: str, fmt: str = "{:,.1f}") -> None:
        values = [figures[f"{kind}_{key}"] for kind in KINDS]
        cells = [fmt.format(v) for v in values]
        ratios = [f"{values[2] / v:.2f}x" if v else "" for v in values[:2]]
        table.add_row(metric, *cells, *ratios)

    row("full poll: work seconds", "full_s", "{:.2f}")
    row("full poll: process CPU seconds", "full_cpu_s", "{:.2f}")
    row("full poll: entries/s", "full_entries_per_s", "{:,.0f}")
    row("full poll: peak RSS (MB)", "full_peak_rss_mb", "{:,.0f}")
    row("full poll: rows kept", "full_rows", "{:,.0f}")
    row("re-poll (unchanged): work seconds", "repoll_s", "{:.2f}")
    row("re-poll: process CPU seconds", "repoll_cpu_s", "{:.2f}")
    row("re-poll: peak RSS (MB)", "repoll_peak_rss_mb", "{:,.0f}")
    row("re-poll: bytes transferred", "repoll_bytes", "{:,.0f}")
    row("re-poll: rows added", "repoll_rows", "{:,.0f}")
    Console().print(table)
    print(
        f"newswire: {figures['newswire_stories']:,} stories from {figures['newswire_full_rows']:,} "
        f"appearances; start-up (imports + temporary Prefect server, not in work seconds) "
        f"{figures['newswire_startup_s']:.1f} s. Ratios are medians of per-run ratios: newswire/naive "
        f"full {figures['newswire_over_naive_full']:.2f}x, newswire/day-one re-poll "
        f"{figures['newswire_over_dayone_repoll']:.2f}x."
    )
    print(f"newswire (thread) {figures['newswire_writer']}")
    for name in sorted(k.removesuffix("_speedup_full") for k in figures if k.endswith("_speedup_full")):
        f = figures
        print(
            f"{name.replace('_', ' ', 1)}: full {f[name + '_full_s']:.2f} s "
            f"({f[name + '_speedup_full']:.2f}x the thread runner's speed), "
            f"re-poll {f[name + '_repoll_s']:.2f} s, "
            f"start-up {f[name + '_startup_s']:.1f} s, peak RSS flow {f[name + '_peak_rss_mb']:,.0f} MB / "
            f"largest worker {f[name + '_worker_peak_rss_mb']:,.0f} MB, {f[name + '_rows']:,} appearances, "
            f"{f[name + '_stories']:,} stories; {f[name + '_writer']}"
        )
    if "before_full_s" in figures:
        f = figures
        print(
            f"before (--before): full {f['before_full_s']:.2f} s ({f['before_over_naive_full']:.2f}x naive), "
            f"peak RSS {f['before_full_peak_rss_mb']:,.0f} MB, re-poll {f['before_repoll_s']:.2f} s "
            f"({f['before_over_dayone_repoll']:.2f}x day-one); newswire / before full "
            f"{f['newswire_over_before_full']:.2f}x."
        )
        print(f"before {f['before_writer']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="500x50", help="comma-separated FEEDSxENTRIES, e.g. 500x50,2000x50"
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds per size (medians are reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument(
        "--task-runner", choices=("thread", "process", "dask"), help="NEWSWIRE_TASK_RUNNER for newswire"
    )
    parser.add_argument(
        "--runners",
        default="",
        help="also run newswire with these NEWSWIRE_TASK_RUNNERs in the same rounds, e.g. process,dask",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="cProfile stats of the first newswire full poll (FILE) and of its re-poll "
        "(FILE with .repoll before the suffix)",
    )
    parser.add_argument(
        "--before",
        help="also run newswire imported from this PYTHONPATH (an older version's package), same rounds",
    )
    parser.add_argument("--worker", choices=(*WORKERS, "newswire"), help=argparse.SUPPRESS)
    parser.add_argument("--catalog", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "newswire":
        print(json.dumps(worker_newswire(args.catalog, args.base, args.data_dir, args.profile)))
        return
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.catalog, args.base, args.data_dir)))
        return

    env = {"NEWSWIRE_TASK_RUNNER": args.task_runner} if args.task_runner else {}
    results = {}
    for size in args.sizes.split(","):
        feeds, entries = (int(part) for part in size.lower().split("x"))
        runners = tuple(r for r in args.runners.split(",") if r)
        rounds = run_size(feeds, entries, args.runs, env, args.profile, args.before, runners)
        results[size] = summarise(rounds, feeds, entries)
        if not args.json:
            print_table(results[size])
    if args.json:
        # The first size's figures at the top level (the keys the performance issue names),
        # every size under "sizes".
        first = results[args.sizes.split(",")[0]]
        print(json.dumps({**first, "sizes": results}, indent=2))


if __name__ == "__main__":
    main()
