"""Ctrl-C and SIGTERM during `newswire ingest`, with a real subprocess and a slow loopback
feed server: the first signal lets the requests in flight finish, starts no new one,
commits what was fetched, prints the summary and exits 130/143; a second exits at once.
No process is left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import REPO_ROOT, SAMPLE_DIR

pytestmark = pytest.mark.slow

FEEDS = 6
IN_FLIGHT = 2  # NEWSWIRE_FETCH_PER_HOST_CONCURRENCY: the rest wait for a slot
BODY = (SAMPLE_DIR / "feeds" / "24kg-en-all.xml").read_bytes()


class SlowFeeds(ThreadingHTTPServer):
    """Every /fN.xml answers after ``delay_s``; ``first_request`` is set on arrival."""

    daemon_threads = True

    def __init__(self, delay_s: float):
        self.delay_s, self.first_request, self.requests = delay_s, threading.Event(), []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        self.server.first_request.set()
        time.sleep(self.server.delay_s)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client was stopped at once
            self.wfile.write(BODY)

    def log_message(self, *args) -> None:
        pass


def _catalog(path, base: str):
    path.write_text(
        "".join(
            f'[[feed]]\nid = "f{i}"\nname = "F{i}"\nurl = "{base}/f{i}.xml"\nkind = "outlet"\n'
            'language = "en"\ncountry = "KG"\nallow_private_network = true\n\n'
            for i in range(FEEDS)
        ),
        encoding="utf-8",
    )
    return path


def _group_gone(pgid: int) -> bool:
    for _ in range(50):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize(
    ("signals", "code"), [((signal.SIGINT,), 130), ((signal.SIGTERM,), 143), ((signal.SIGINT,) * 2, 130)]
)
def test_a_signal_stops_fetching_commits_and_exits(prefect_server, tmp_path, signals, code):
    server = SlowFeeds(delay_s=4.0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        COLUMNS="200",
        PREFECT_API_URL=prefect_server,
        NEWSWIRE_FETCH_PER_HOST_CONCURRENCY=str(IN_FLIGHT),
    )
    data = tmp_path / "data"
    command = [sys.executable, "-m", "newswire", "ingest", "--force", "--data-dir", str(data)]
    process = subprocess.Popen(
        [*command, "--catalog", str(_catalog(tmp_path / "slow.toml", base))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.first_request.wait(240), "no feed was fetched"
        time.sleep(0.5)
        signalled = time.monotonic()
        for signum in signals:
            process.send_signal(signum)
            time.sleep(0.2)
        stdout, stderr = process.communicate(timeout=120)
        elapsed = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        server.shutdown()
    assert process.returncode == code, stdout + stderr
    assert "Traceback" not in stderr
    assert _group_gone(process.pid), "a process of the run outlived it"
    assert len(server.requests) == IN_FLIGHT  # no request started after the signal
    if len(signals) == 2:
        assert "stopping at once" in stderr and elapsed < 3.5  # before the in-flight fetches end
        return
    assert "fetching no more feeds" in stderr
    assert f"{IN_FLIGHT} feeds polled" in stdout and "Stopped before the end" in stdout
    committed = subprocess.run(
        [sys.executable, "-m", "newswire", "sql", "--data-dir", str(data), "--format", "csv",
         "SELECT count(DISTINCT feed_id) FROM appearances"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert committed.stdout.splitlines()[-1] == str(IN_FLIGHT), committed.stderr
