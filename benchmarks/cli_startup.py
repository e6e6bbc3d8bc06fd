"""Start-up of `newswire ingest --force` on the embedded default (no PREFECT_API_URL): one
loopback feed, in a fresh data dir and in a used one, and the very first command of a user
(no Prefect server running anywhere yet).

    python benchmarks/cli_startup.py [--runs 3] [--ref REF ...]

Runs the real command in a subprocess and times, from the start of the process, its first
line on stdout and its exit. Cases:

- "cold": the first flow command of a new Prefect home (no background server yet);
- "fresh data dir": a new data dir each run, after another command already ran (for code
  with one server per user that server is running; for code with one per data dir it is not);
- "used data dir": a data dir an ingest ran in before.

``--ref REF`` (repeatable) measures a git revision too (e.g. the branch point), exported into
a temporary package layout and run with this venv, so before and after are measured in the
same session (``--refs-only``: not the working tree). Prints one table of medians per code.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CATALOG = """
[[feed]]
id = "one"
name = "One loopback feed"
url = "{base}/feeds/24kg-en-all.xml"
kind = "outlet"
language = "en"
country = "KG"
allow_private_network = true
"""


def export_revision(ref: str, into: Path) -> Path:
    """``ref``'s files laid out the way the package installs them (pyproject.toml's
    package-dir: cli/ -> newswire/cli, ...), so ``PYTHONPATH`` runs that revision."""
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True).stdout
    source = into / "source"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    layout = into / "layout"
    package_dirs = tomllib.loads((source / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    for package, folder in sorted(package_dirs.items()):
        target = layout / package.replace(".", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source / folder, target_is_directory=True)
    return layout


def timed_ingest(code: Path, catalog: Path, data_dir: Path, state_home: Path) -> tuple[float, float, int]:
    """(seconds to the first stdout line, seconds to exit, exit code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "PREFECT_"))}
    # XDG_STATE_HOME: where code with one server per user keeps it (never the real user's).
    env.update(PYTHONPATH=str(code), PYTHONUNBUFFERED="1", COLUMNS="120", XDG_STATE_HOME=str(state_home))
    started = time.monotonic()
    command = ["ingest", "--force", "--catalog", str(catalog), "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [sys.executable, "-m", "newswire", *command],
        cwd=data_dir.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    first = None
    for _line in process.stdout:
        if first is None:
            first = time.monotonic() - started
    process.wait()
    return first or float("nan"), time.monotonic() - started, process.returncode


def stop_servers(code: Path, state_home: Path, data_dirs: list[Path]) -> None:
    """Stop the background servers the runs left: the user's (code with one per user) or
    each data dir's (code with one per data dir: its ``server stop`` takes --data-dir)."""
    env = {**os.environ, "PYTHONPATH": str(code), "XDG_STATE_HOME": str(state_home)}
    env = {k: v for k, v in env.items() if not k.startswith(("NEWSWIRE_", "PREFECT_"))}
    for extra in [[], *(["--data-dir", str(d)] for d in data_dirs)]:
        subprocess.run(
            [sys.executable, "-m", "newswire", "server", "stop", *extra],
            cwd=state_home,
            env=env,
            capture_output=True,
        )


CASES = ("cold", "fresh data dir", "used data dir")


def measure(codes: list[tuple[str, Path]], catalog: Path, work: Path, runs: int) -> dict:
    """{(code name, case): [(first line s, done s, exit code), ...]}. The codes take turns
    run by run, so a change in the machine's load hits all of them alike."""
    results: dict[tuple[str, str], list] = {}
    for run in range(runs):
        for i, (name, code) in enumerate(codes):
            home, data = work / f"{i}-cold-home-{run}", work / f"{i}-cold-{run}" / "data"
            home.mkdir(parents=True)
            data.parent.mkdir(parents=True)
            results.setdefault((name, "cold"), []).append(timed_ingest(code, catalog, data, home))
            stop_servers(code, home, [data])
    for i, (_name, code) in enumerate(codes):  # a command ran before: the server is up
        home, used = work / f"{i}-home", work / f"{i}-used" / "data"
        home.mkdir()
        used.parent.mkdir()
        timed_ingest(code, catalog, used, home)
    for run in range(runs):
        for i, (name, code) in enumerate(codes):
            home, data = work / f"{i}-home", work / f"{i}-fresh-{run}" / "data"
            data.parent.mkdir()
            results.setdefault((name, "fresh data dir"), []).append(timed_ingest(code, catalog, data, home))
            results.setdefault((name, "used data dir"), []).append(
                timed_ingest(code, catalog, work / f"{i}-used" / "data", home)
            )
    for i, (_name, code) in enumerate(codes):
        stop_servers(code, work / f"{i}-home", sorted(work.glob(f"{i}-*/data")))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ref", action="append", default=[], help="git revision to measure too")
    parser.add_argument("--refs-only", action="store_true", help="leave the working tree out")
    args = parser.parse_args()
    from newswire.cli.demo_server import FeedServer
    from newswire.tasks.desk import SAMPLE_DIR

    with FeedServer(SAMPLE_DIR) as server, tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "one.toml"
        catalog.write_text(CATALOG.format(base=server.base_url), encoding="utf-8")
        codes = [(ref, export_revision(ref, Path(tmp) / f"code-{i}")) for i, ref in enumerate(args.ref)]
        if not args.refs_only:
            codes.append(("working tree", REPO))
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        results = measure(codes, catalog, Path(tmp) / "work", args.runs)
        print(f"runs per case: {args.runs}   took {time.monotonic() - started:.0f} s   "
              f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'code':<14} {'case':<16} {'first line s':>12} {'done s':>8}  {'all done s':<22} exit codes")
        for name, _ in codes:
            for case in CASES:
                rows = results[(name, case)]
                first = statistics.median(r[0] for r in rows)
                done = statistics.median(r[1] for r in rows)
                every = " ".join(f"{r[1]:.1f}" for r in rows)
                codes_seen = sorted({r[2] for r in rows})
                print(f"{name:<14} {case:<16} {first:>12.1f} {done:>8.1f}  {every:<22} {codes_seen}")


if __name__ == "__main__":
    main()
