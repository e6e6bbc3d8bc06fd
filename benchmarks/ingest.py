"""Ingest benchmark: newswire's flow vs a naive poller, on the same loopback feed server.

    python benchmarks/ingest.py [--feeds 500] [--entries 50]

Generates N RSS feeds (a fifth of the entries are syndicated copies that appear in
several feeds), serves them from one FeedServer (ETag, Last-Modified, gzip), and runs in
separate processes so peak RSS is each side's own:

- newswire: the real `ingest` flow (Prefect test server started first and not timed),
  then an unchanged re-poll;
- baseline: sequential `feedparser.parse(url)` per feed, append to a list, pandas
  `drop_duplicates` on the link — then the same again for the re-poll.

Prints one table; ratios are newswire / baseline measured in this run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS = """Kazakhstan Uzbekistan Kyrgyzstan Tajikistan Turkmenistan Astana Tashkent Bishkek Dushanbe
Ashgabat trade energy water pipeline summit minister president tariff railway corridor cotton uranium
remittances migrants border talks investment bank grain gas oil election parliament""".split()  # noqa: SIM905


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


def worker_newswire(catalog: Path, base: str, data_dir: Path) -> dict:
    from newswire.flows.runtime.prefect_env import configure_prefect_environment

    # The test harness's own temporary server, its home beside the run's data.
    os.environ.setdefault("PREFECT_HOME", str(data_dir / "prefect"))
    configure_prefect_environment()
    from prefect.testing.utilities import prefect_test_harness

    from newswire.flows.ingest import ingest

    with prefect_test_harness(server_startup_timeout=120):
        started = time.perf_counter()
        summary = ingest(
            catalog=str(catalog), catalog_substitutions={"base": base}, data_dir=str(data_dir), force=True
        )
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "entries": summary.entries_seen,
        "rows": summary.new_appearances,
        "stories": summary.new_stories,
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_baseline(catalog: Path, base: str) -> dict:
    import tomllib

    import feedparser
    import pandas as pd

    urls = [f["url"].replace("{base}", base) for f in tomllib.loads(catalog.read_text())["feed"]]
    started = time.perf_counter()
    rows = []
    for url in urls:
        parsed = feedparser.parse(url)
        rows += [{"link": e.get("link"), "title": e.get("title")} for e in parsed.entries]
    unique = pd.DataFrame(rows).drop_duplicates(subset="link")
    return {
        "seconds": time.perf_counter() - started,
        "entries": len(rows),
        "rows": len(unique),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _run_worker(kind: str, catalog: Path, base: str, data_dir: Path, server) -> dict:
    """One pass in its own process (its own peak RSS); bytes are what the server sent."""
    before = server.bytes_sent
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--catalog",
            str(catalog),
            "--base",
            base,
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "ERROR"},
    )
    result = json.loads(output.stdout.strip().splitlines()[-1])
    result["bytes"] = server.bytes_sent - before
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--worker", choices=("newswire", "baseline"))
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--base")
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    if args.worker == "newswire":
        print(json.dumps(worker_newswire(args.catalog, args.base, args.data_dir)))
        return
    if args.worker == "baseline":
        print(json.dumps(worker_baseline(args.catalog, args.base)))
        return

    from rich.console import Console
    from rich.table import Table

    from newswire.cli.demo_server import FeedServer

    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as tmp:
        tmp_path = Path(tmp)
        catalog = generate_feeds(tmp_path / "gen", args.feeds, args.entries)
        with FeedServer(tmp_path / "gen") as server:
            for kind in ("baseline", "newswire"):
                for phase in ("full", "repoll"):
                    results[kind, phase] = _run_worker(
                        kind, catalog, server.base_url, tmp_path / kind, server
                    )

    n_feeds = args.feeds
    table = Table(
        title=f"Ingest benchmark: {n_feeds} feeds x {args.entries} entries on loopback, "
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores"
    )
    for column in ("metric", "baseline (feedparser + pandas)", "newswire", "newswire / baseline"):
        table.add_column(column, justify="right")

    def row(metric: str, key: str, phase: str, fmt: str = "{:,.1f}", per_second: float | None = None) -> None:
        values = []
        for kind in ("baseline", "newswire"):
            value = results[kind, phase][key]
            values.append(per_second / value if per_second is not None else value)
        ratio = values[1] / values[0] if values[0] else float("nan")
        table.add_row(metric, fmt.format(values[0]), fmt.format(values[1]), f"{ratio:.2f}x")

    entries = results["baseline", "full"]["entries"]
    row("full poll: seconds", "seconds", "full", "{:.2f}")
    row("full poll: feeds/s", "seconds", "full", per_second=n_feeds)
    row("full poll: entries/s", "seconds", "full", per_second=entries)
    row("full poll: peak RSS (MB)", "peak_rss_mb", "full")
    row("full poll: rows after dedupe", "rows", "full", "{:,.0f}")
    row("re-poll (unchanged): seconds", "seconds", "repoll", "{:.2f}")
    row("re-poll: feeds/s", "seconds", "repoll", per_second=n_feeds)
    row("re-poll: bytes transferred", "bytes", "repoll", "{:,.0f}")
    row("re-poll: rows added", "rows", "repoll", "{:,.0f}")
    Console().print(table)
    ours = results["newswire", "full"]
    print(
        f"newswire kept {ours['stories']:,} stories from {ours['rows']:,} appearances; the baseline's "
        "re-poll 'rows added' is what it would append again without history. newswire seconds exclude "
        "Prefect's server start-up (15-28 s per process on this machine, STACK-NOTES.md)."
    )


if __name__ == "__main__":
    main()
