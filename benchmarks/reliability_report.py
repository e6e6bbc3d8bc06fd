"""The reliability statement: every fault case of tests/reliability run once more, measured,
and a soak of 10,000 fetches from a server that fails 20 % of requests at random.

    .venv/bin/python benchmarks/reliability_report.py            # everything (~3-5 min)
    .venv/bin/python benchmarks/reliability_report.py --no-crash # skip the subprocess cases

Prints Markdown: a table per area (case, expected, observed, time, peak memory, and both
as a ratio to a well-formed baseline measured in the same run), then the soak's counts.
docs/reliability.md quotes its output with the date and machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import signal
import socket
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "reliability")]

from newswire.flows.runtime.prefect_env import configure_prefect_environment  # noqa: E402

_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="newswire-reliability-prefect-"))
os.environ["PREFECT_HOME"] = str(_PREFECT_HOME)
configure_prefect_environment()

import misbehaving  # noqa: E402
from fuzz import fuzz  # noqa: E402
from hostile_cases import MAX_BODY_BYTES, check_case, load_cases  # noqa: E402
from warehouse_checks import (  # noqa: E402
    FAILPOINTS,
    cli_env,
    debris,
    duplicates,
    run_cli_ingest,
    signature,
    visible_rows,
    write_catalog_for,
)

from newswire.cli.demo_server import FeedServer  # noqa: E402
from newswire.tasks.catalog import Feed  # noqa: E402
from newswire.tasks.desk import SAMPLE_DIR  # noqa: E402
from newswire.tasks.fetch import FetchRequest, fetch_feeds  # noqa: E402
from newswire.tasks.normalise import normalise_document  # noqa: E402
from newswire.tasks.parse import parse_document  # noqa: E402
from newswire.tasks.settings import FetchLimits, NormalisePolicy  # noqa: E402

FEED = Feed(
    id="bench", name="Bench", url="https://example.org/feed", kind="outlet", language="en", country="KG"
)
LIMITS, STRICT = misbehaving.FAULT_LIMITS, misbehaving.STRICT_LIMITS


@dataclass
class Row:
    area: str
    case: str
    expected: str
    observed: str
    survived: bool
    seconds: float
    peak_mb: float | None


def measured(action: Callable[[], object]) -> tuple[object, float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = action()
    except Exception as error:  # the report must show a crash as a failed case, not die
        outcome = error
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, seconds, peak / 2**20


def _short(text: str | None, limit: int = 70) -> str:
    text = (text or "").replace("|", "/").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hostile_documents() -> tuple[list[Row], tuple[float, float]]:
    good = (SAMPLE_DIR / "feeds" / "24kg-en-all.xml").read_bytes()

    def parse(body: bytes, headers: dict[str, str] | None = None):
        document = parse_document(body, headers or {}, FEED.url, MAX_BODY_BYTES)
        entries = (
            []
            if document.error
            else normalise_document(document, FEED, datetime.now(UTC), FEED.url, NormalisePolicy())
        )
        return document, entries

    _, base_s, base_mb = measured(lambda: parse(good))
    rows = []
    for case in load_cases({"base": "http://127.0.0.1:9"}):
        outcome, seconds, peak = measured(lambda case=case: parse(case.body, case.headers))
        if isinstance(outcome, Exception):
            observed, survived = f"raised {type(outcome).__name__}: {outcome}", False
        else:
            document, entries = outcome
            problems = check_case(case, document, entries)
            longest = max((len(e.title) + len(e.summary) + len(e.body) for e in entries), default=0)
            observed = (
                f"error: {document.error}"
                if document.error
                else f"{len(entries)} entries, ≤{longest:,} chars"
            )
            survived = not problems
            if problems:
                observed += f" — {'; '.join(problems)}"
        if case.error:
            expected = f"error “{case.error}”"
        elif case.error == "" and case.entries is not None:
            expected = f"parses, exactly {case.entries} entries"
        elif case.error == "":
            expected = f"parses, ≥{case.min_entries} entries" + (
                ", no amplification" if case.max_amplification else ""
            )
        else:
            expected = "an error or entries, bounded"
        if case.titles or case.contains or case.urls or case.date_issues or case.entry_warnings:
            expected += ", content as expected"
        rows.append(
            Row(
                "document",
                f"{case.name} ({len(case.body):,} B)",
                expected,
                _short(observed),
                survived,
                seconds,
                peak,
            )
        )
    return rows, (base_s, base_mb)


NETWORK_CASES = {
    "/reset-mid-body": "network",
    "/slow-drip": "timeout",
    "/never-answers": "timeout",
    "/endless": "too_large",
    "/fifty-mb-declared": "too_large",
    "/fifty-mb-one-element": "too_large",
    "/gzip-bomb": "too_large",
    "/brotli-bomb": "too_large",
    "/zstd": "decoding",
    "/length-too-long": "network",
    "/loop-a": "redirects",
    "/chain/20": "redirects",
    "/to-file": "refused",
    "/to-metadata": "refused",
    "/304-no-validators": "http",
    "/moved-301": "ok",
    "/moved-308": "ok",
    "/429-seconds": "ok",
    "/503-date": "ok",
}


def network_faults() -> tuple[list[Row], tuple[float, float]]:
    rows = []
    with FeedServer() as server:
        misbehaving.install(server)
        _, base_s, base_mb = measured(lambda: fetch_feeds([FetchRequest("b", server.url("/good"))], LIMITS))
        retrying = FetchLimits(**{**LIMITS.__dict__, "max_retries": 1})
        for path, expected in NETWORK_CASES.items():
            limits = retrying if path.startswith(("/429", "/503")) else LIMITS
            outcome, seconds, peak = measured(
                lambda path=path, limits=limits: fetch_feeds([FetchRequest("n", server.url(path))], limits)[0]
            )
            if isinstance(outcome, Exception):
                observed, survived = f"raised {outcome!r}", False
            else:
                kind = outcome.error_kind or ("ok" if outcome.ok else "?")
                observed = (
                    f"{kind}: {outcome.error}"
                    if outcome.error
                    else f"ok, {outcome.status}, {outcome.attempts} attempt(s)"
                )
                survived = kind == expected
            rows.append(Row("network", path, expected, _short(observed), survived, seconds, peak))
        refused = misbehaving.refused_url()
        outcome, seconds, peak = measured(lambda: fetch_feeds([FetchRequest("n", refused)], LIMITS)[0])
        rows.append(
            Row(
                "network",
                "connection refused",
                "network",
                _short(f"{outcome.error_kind}: {outcome.error}"),
                outcome.error_kind == "network",
                seconds,
                peak,
            )
        )
    return rows, (base_s, base_mb)


def ssrf() -> list[Row]:
    rows = []
    with FeedServer() as internal:
        misbehaving.install(internal)
        port = internal.base_url.rsplit(":", 1)[1]
        cases = [
            (f"http://localhost:{port}/good", False),
            (f"http://2130706433:{port}/good", False),
            (f"http://[::ffff:127.0.0.1]:{port}/good", False),
            (f"http://0.0.0.0:{port}/good", False),
            ("http://169.254.169.254/latest/meta-data/", True),
            (internal.url("/to-metadata"), True),
        ]
        for url, allow in cases:
            outcome, seconds, peak = measured(
                lambda url=url, allow=allow: fetch_feeds(
                    [FetchRequest("s", url, allow_private_network=allow)], STRICT
                )[0]
            )
            label = url.replace(internal.base_url, "{server}") + (" (feed allows private)" if allow else "")
            rows.append(
                Row(
                    "ssrf",
                    label,
                    "refused",
                    _short(f"{outcome.error_kind}: {outcome.error}"),
                    outcome.error_kind == "refused",
                    seconds,
                    peak,
                )
            )
        real = socket.getaddrinfo
        lookups = []

        def rebinding(host, port_, *args, **kwargs):
            if host not in ("rebind.example", b"rebind.example"):
                return real(host, port_, *args, **kwargs)
            lookups.append(host)
            address = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port_))]

        hits_before = sum(internal.hits.values())
        socket.getaddrinfo = rebinding
        try:
            outcome, seconds, peak = measured(
                lambda: fetch_feeds([FetchRequest("s", f"http://rebind.example:{port}/good")], STRICT)[0]
            )
        finally:
            socket.getaddrinfo = real
        reached = sum(internal.hits.values()) - hits_before
        rows.append(
            Row(
                "ssrf",
                "DNS rebinding (public, then 127.0.0.1)",
                "loopback never reached",
                _short(f"{len(lookups)} lookup, {reached} requests reached loopback; {outcome.error_kind}"),
                reached == 0 and not outcome.ok,
                seconds,
                peak,
            )
        )
    return rows


def _child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def crashes(api_url: str, work: Path) -> tuple[list[Row], float]:
    rows = []
    with FeedServer(SAMPLE_DIR) as server:
        catalog = write_catalog_for(server.base_url, work / "catalog.toml")
        started = time.perf_counter()
        assert run_cli_ingest(catalog, work / "clean", cli_env(api_url)).returncode == 0
        base_s = time.perf_counter() - started
        clean = signature(work / "clean")
        empty_rows = visible_rows(work / "never-written")
        clean_rows = visible_rows(work / "clean")
        for point in FAILPOINTS:
            data_dir = work / point
            crashed = run_cli_ingest(catalog, data_dir, cli_env(api_url, NEWSWIRE_FAILPOINT=point))
            consistent = visible_rows(data_dir) in (empty_rows, clean_rows)
            started = time.perf_counter()
            rerun = run_cli_ingest(catalog, data_dir, cli_env(api_url))
            seconds = time.perf_counter() - started
            same = signature(data_dir) == clean
            dupes = sum(duplicates(data_dir).values())
            left = debris(data_dir)
            survived = crashed.returncode == -signal.SIGKILL and rerun.returncode == 0 and same and consistent
            survived = survived and not dupes and not left
            observed = (
                f"killed; readers saw {'all or none' if consistent else 'HALF A RUN'}; rerun "
                f"{'= clean run' if same else 'DIFFERS'}, {dupes} duplicates, {len(left)} stray files"
            )
            rows.append(
                Row(
                    "crash",
                    f"SIGKILL at {point}, rerun",
                    "= clean run",
                    observed,
                    survived,
                    seconds,
                    _child_peak_mb(),
                )
            )
        data_dir = work / "enospc"
        failed = run_cli_ingest(catalog, data_dir, cli_env(api_url, NEWSWIRE_FAILPOINT="parquet-tmp:enospc"))
        clean_failure = failed.returncode == 2 and "full" in failed.stderr and not debris(data_dir)
        started = time.perf_counter()
        rerun = run_cli_ingest(catalog, data_dir, cli_env(api_url))
        seconds = time.perf_counter() - started
        recovered = rerun.returncode == 0 and signature(data_dir) == clean
        rows.append(
            Row(
                "crash",
                "ENOSPC writing Parquet, rerun",
                "clean failure, then = clean run",
                f"exit {failed.returncode}, {'no debris' if clean_failure else 'DEBRIS'}; rerun "
                f"{'= clean run' if recovered else 'DIFFERS'}",
                clean_failure and recovered,
                seconds,
                _child_peak_mb(),
            )
        )
    return rows, base_s


def soak(work: Path, feeds: int = 2_500, rounds: int = 4, failure_rate: float = 0.2) -> dict:
    """``feeds`` x ``rounds`` fetches through the real ingest flow from a loopback server
    that fails ``failure_rate`` of requests (500, 503, reset, truncated body, stall)."""
    from newswire.flows.ingest import ingest
    from newswire.warehouse.views import open_reader

    os.environ.update(
        NEWSWIRE_FETCH_PER_HOST_CONCURRENCY="32",  # one loopback host plays 2,500 sites
        NEWSWIRE_FETCH_BACKOFF_BASE_S="0.1",
        NEWSWIRE_FETCH_READ_TIMEOUT_S="1",
    )
    flaky = misbehaving.FlakyRoute(failure_rate=failure_rate)
    with FeedServer() as server:
        catalog = work / "soak.toml"
        with open(catalog, "w") as out:
            for number in range(feeds):
                server.routes[f"/flaky/{number}"] = flaky
                out.write(
                    f'[[feed]]\nid = "soak-{number}"\nname = "Soak {number}"\n'
                    f'url = "{server.base_url}/flaky/{number}"\nkind = "outlet"\nlanguage = "en"\n'
                    'country = "KG"\nallow_private_network = true\n\n'
                )
        data_dir = work / "soak"
        started = time.perf_counter()
        for _ in range(rounds):
            ingest(catalog=str(catalog), data_dir=str(data_dir), force=True)
        seconds = time.perf_counter() - started
        requests = sum(server.hits.values())
    con = open_reader(data_dir)
    try:
        fetch_rows = con.execute("SELECT count(*) FROM fetches").fetchone()[0]
        ok_feeds = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT feed_id FROM fetches "
                "WHERE error IS NULL AND parse_error IS NULL AND status = 200"
            ).fetchall()
        }
        per_feed = dict(con.execute("SELECT feed_id, count(*) FROM appearances GROUP BY feed_id").fetchall())
    finally:
        con.close()
    lost = sum(3 - per_feed.get(feed_id, 0) for feed_id in ok_feeds)
    return {
        "fetches": feeds * rounds,
        "http_requests": requests,
        "injected_failures": sum(flaky.failures.values()),
        "failures_by_kind": dict(flaky.failures),
        "fetch_rows": fetch_rows,
        "feeds_ever_fetched": len(ok_feeds),
        "rows_expected": 3 * len(ok_feeds),
        "rows_lost": lost,
        "duplicates": sum(duplicates(data_dir).values()),
        "stray_files": len(debris(data_dir)),
        "seconds": seconds,
    }


def feedparser_differential(work: Path) -> list[str]:
    """Every feedparser fixture (tests/fixtures/feedparser/) through one real ingest;
    prints the counts, returns the unexplained losses (differential.py)."""
    import differential

    fixtures = differential.load_fixtures()
    started = time.monotonic()
    outcomes = differential.run_differential(fixtures, work / "differential")
    seconds = time.monotonic() - started
    expectations = differential.load_expectations()
    problems = differential.unexplained(outcomes, expectations)
    print("\n### Differential against feedparser (its own fixtures, one real ingest)\n")
    print(
        "| fixtures | entries feedparser finds | appearances stored | fixtures losing an entry "
        "| of them listed with a reason | unexplained | time |"
    )
    print("|---|---|---|---|---|---|---|")
    losing = [o for o in outcomes if o.lost or o.missing_ids]
    found, stored = sum(o.feedparser_entries for o in outcomes), sum(o.stored for o in outcomes)
    listed = sum(o.fixture in expectations for o in losing)
    cells = [len(outcomes), found, stored, len(losing), listed, len(problems), f"{seconds:.0f} s"]
    print("| " + " | ".join(map(str, cells)) + " |")
    for problem in problems:
        print(f"- unexplained: {problem}")
    return problems


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{model}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def print_table(title: str, rows: list[Row], baseline: tuple[float, float] | None) -> None:
    print(f"\n### {title}\n")
    ratio = baseline is not None
    header = "| case | expected | observed | ok | time | peak memory |" + (
        " time × | memory × |" if ratio else ""
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row in rows:
        peak = f"{row.peak_mb:.1f} MB" if row.peak_mb is not None else "—"
        line = (
            f"| {row.case} | {row.expected} | {row.observed} | {'yes' if row.survived else '**NO**'} "
            f"| {row.seconds:.2f} s | {peak} |"
        )
        if ratio:
            line += f" {row.seconds / baseline[0]:.1f} | {row.peak_mb / baseline[1]:.1f} |"
        print(line)


def print_fuzz(report) -> None:
    """The fuzz run (tests/reliability/fuzz.py) as one table row plus any failures."""
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(report.by_kind.items()))
    print("\n### Hostile-input fuzzing (parse → normalise → enrich → dedupe plan → Arrow)\n")
    print("| inputs tried | by kind | runs failed | entries out | documents refused | time |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {report.inputs:,} | {kinds} | {report.failures} | {report.entries:,} "
        f"| {report.documents_with_error:,} | {report.seconds:.0f} s |"
    )
    for example in report.examples:
        print(f"\n- failure: {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-crash", action="store_true", help="skip the subprocess crash/disk-full cases")
    parser.add_argument("--no-soak", action="store_true", help="skip the 10,000-fetch soak")
    parser.add_argument("--soak-feeds", type=int, default=2_500, help="feeds in the soak (default 2,500)")
    parser.add_argument("--soak-rounds", type=int, default=4, help="polls of every feed (default 4)")
    parser.add_argument("--fuzz-inputs", type=int, default=20_000, help="hostile inputs (default 20,000)")
    parser.add_argument("--fuzz-seconds", type=float, default=300, help="fuzzing time cap (default 300 s)")
    parser.add_argument(
        "--no-differential",
        action="store_true",
        help="skip the 611 feedparser fixtures through a real ingest",
    )
    arguments = parser.parse_args()
    print(f"Reliability report — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {_machine()}")

    all_rows: list[Row] = []
    rows, baseline = hostile_documents()
    print_table(
        f"Hostile documents (parse + normalise; baseline: a well-formed 12 KB feed, "
        f"{baseline[0] * 1000:.1f} ms, {baseline[1]:.1f} MB)",
        rows,
        baseline,
    )
    all_rows += rows
    rows, baseline = network_faults()
    print_table(
        f"Network faults over loopback (baseline: fetching a good feed, {baseline[0] * 1000:.1f} ms, "
        f"{baseline[1]:.1f} MB)",
        rows,
        baseline,
    )
    all_rows += rows
    rows = ssrf()
    print_table("Server-side request forgery", rows, None)
    all_rows += rows
    fuzz_report = fuzz(seed=20261201, max_inputs=arguments.fuzz_inputs, max_seconds=arguments.fuzz_seconds)
    print_fuzz(fuzz_report)

    soak_result = None
    if not (arguments.no_crash and arguments.no_soak and arguments.no_differential):
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=120), tempfile.TemporaryDirectory() as work:
            from prefect.settings import PREFECT_API_URL

            if not arguments.no_crash:
                rows, base_s = crashes(PREFECT_API_URL.value(), Path(work))
                print_table(
                    f"Crashes and a full disk (real `newswire ingest` processes; baseline: a clean run, "
                    f"{base_s:.1f} s; memory = largest child RSS so far)",
                    rows,
                    None,
                )
                all_rows += rows
            if not arguments.no_soak:
                soak_result = soak(Path(work), arguments.soak_feeds, arguments.soak_rounds)
            if not arguments.no_differential:
                feedparser_differential(Path(work))

    survived = sum(row.survived for row in all_rows)
    print(f"\n**Cases tried: {len(all_rows)}; survived: {survived}; failed: {len(all_rows) - survived}.**")
    if soak_result:
        s = soak_result
        print("\n### Soak\n")
        print(
            "| fetches | HTTP requests (with retries) | injected failures | fetch rows logged "
            "| feeds fetched | rows expected | rows lost | duplicates | stray files | time |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(s["failures_by_kind"].items()))
        print(
            f"| {s['fetches']:,} | {s['http_requests']:,} | {s['injected_failures']:,} "
            f"({kinds}) | {s['fetch_rows']:,} "
            f"| {s['feeds_ever_fetched']:,} | {s['rows_expected']:,} | {s['rows_lost']} | {s['duplicates']} "
            f"| {s['stray_files']} | {s['seconds']:.0f} s |"
        )


if __name__ == "__main__":
    main()
