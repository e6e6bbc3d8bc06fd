"""Peak memory of one real ingest of a huge feed: 200,000 entries in one 10 MB RSS document.

    python benchmarks/feed_memory.py [--entries 200000] [--caps 5000,0]

Serves the document from a loopback FeedServer and runs the real command line
(``python -m newswire ingest``) once per cap (``NEWSWIRE_MAX_ENTRIES_PER_FEED``; 0 = no
cap, what newswire did before the cap existed), each in a fresh data directory. The figure
is the ingest process's own peak RSS (``wait4``'s ru_maxrss); the background Prefect
server it talks to is started once beforehand, reused, and not counted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "reliability")]

from warehouse_checks import cli_ingest_command  # noqa: E402

CATALOG = """[[feed]]
id = "huge"
name = "Huge feed"
url = "{base}/huge.xml"
kind = "outlet"
language = "en"
country = "KZ"
allow_private_network = true
"""


def huge_feed(entries: int) -> bytes:
    """RSS 2.0 with ``entries`` minimal items (~51 bytes each: 200,000 make 10.2 MB, just
    under the 10 MiB body cap)."""
    items = b"".join(b"<item><guid>%d</guid><title>%x</title></item>" % (i, i) for i in range(entries))
    return (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Huge</title>'
        + items
        + (b"</channel></rss>")
    )


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_ingest(
    catalog: Path, data_dir: Path, env: dict[str, str], timeout_s: float
) -> tuple[str, float, float, str]:
    """(exit code or "killed at the time limit", peak RSS in MB, wall seconds, last lines
    of output) of one CLI ingest; one that outruns ``timeout_s`` is killed and its peak
    so far reported."""
    started = time.monotonic()
    log_path = data_dir.with_suffix(".log")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            cli_ingest_command(catalog, data_dir), env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            code, peak = str(os.waitstatus_to_exitcode(status)), usage.ru_maxrss / 1024
            break
        if time.monotonic() - started > timeout_s:
            peak = _peak_rss_mb(process.pid)
            process.kill()
            os.wait4(process.pid, 0)
            code = f"killed after {timeout_s:.0f} s"
            break
        time.sleep(0.5)
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    return code, peak, time.monotonic() - started, "\n".join(lines[-3:])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument(
        "--run-timeout", type=float, default=1800, help="seconds per ingest before it is killed"
    )
    parser.add_argument(
        "--caps", default="5000,0", help="comma-separated NEWSWIRE_MAX_ENTRIES_PER_FEED values"
    )
    args = parser.parse_args()
    from newswire.cli.demo_server import FeedServer

    with tempfile.TemporaryDirectory(prefix="newswire-feed-memory-") as scratch:
        root = Path(scratch)
        (root / "site").mkdir()
        body = huge_feed(args.entries)
        (root / "site" / "huge.xml").write_bytes(body)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "PREFECT_API_URL"))}
        env.update(PYTHONPATH=str(REPO), PREFECT_HOME=str(root / "prefect"), COLUMNS="200")
        rows = []
        with FeedServer(root / "site") as server:
            catalog = root / "catalog.toml"
            catalog.write_text(CATALOG.format(base=server.base_url))
            # Warm-up: starts the background Prefect server (not measured) on a 10-entry feed.
            (root / "site" / "warm.xml").write_bytes(huge_feed(10))
            warm = root / "warm.toml"
            warm.write_text(CATALOG.format(base=server.base_url).replace("huge.xml", "warm.xml"))
            run_ingest(warm, root / "data-warm", env, args.run_timeout)
            baseline = run_ingest(warm, root / "data-warm-2", env, args.run_timeout)
            rows.append(("10-entry feed (baseline)", "5000", *baseline))
            try:
                for cap in args.caps.split(","):
                    result = run_ingest(
                        catalog,
                        root / f"data-{cap}",
                        {**env, "NEWSWIRE_MAX_ENTRIES_PER_FEED": cap},
                        args.run_timeout,
                    )
                    print(
                        f"cap {cap}: exit {result[0]}, peak {result[1]:,.0f} MB, {result[2]:.0f} s",
                        flush=True,
                    )
                    rows.append((f"{args.entries:,} entries, {len(body):,} B", cap, *result))
            finally:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "newswire",
                        "server",
                        "stop",
                    ],
                    env=env,
                    capture_output=True,
                )
    print("| document | NEWSWIRE_MAX_ENTRIES_PER_FEED | exit | peak RSS | wall | × baseline RSS |")
    print("|---|---|---|---|---|---|")
    for name, cap, code, rss, wall, _ in rows:
        print(f"| {name} | {cap} | {code} | {rss:,.0f} MB | {wall:.1f} s | {rss / rows[0][3]:.1f} |")
    for name, cap, _, _, _, tail in rows:
        print(f"\n{name}, cap {cap}:\n{tail}")


if __name__ == "__main__":
    main()
