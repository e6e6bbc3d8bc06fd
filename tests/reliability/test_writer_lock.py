"""The writer lock names its holder at once, and a waiting writer names a live PID."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from newswire.warehouse.writer import LOCK_FILE, Warehouse

pytestmark = pytest.mark.timeout(60)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from newswire.warehouse.writer import Warehouse
    with Warehouse(sys.argv[1])._locked(None):
        print("locked", flush=True)
        time.sleep(60)
    """
)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _start_holder(data_dir: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _wait_in_thread(data_dir: Path) -> tuple[threading.Thread, list[str]]:
    messages: list[str] = []

    def waiter() -> None:
        with Warehouse(data_dir)._locked(messages.append):
            pass

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not messages and time.monotonic() < deadline:
        time.sleep(0.05)
    return thread, messages


def test_an_uncontended_holder_is_named_at_once_and_the_waiter_names_it(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # What an earlier, long dead run left in the file.
    (data_dir / LOCK_FILE).write_text(f"pid {_dead_pid()} since 2026-01-01T00:00:00+00:00\n")
    holder = _start_holder(data_dir)
    try:
        assert (data_dir / LOCK_FILE).read_text().startswith(f"pid {holder.pid} since ")
        thread, messages = _wait_in_thread(data_dir)
        assert len(messages) == 1 and f"pid {holder.pid} since" in messages[0], messages
        assert thread.is_alive()
    finally:
        holder.kill()
        holder.wait()
    thread.join(10)
    assert not thread.is_alive()


def test_a_stale_pid_in_the_file_is_not_named_the_kernels_holder_is(tmp_path):
    data_dir = tmp_path / "data"
    holder = _start_holder(data_dir)
    dead = _dead_pid()
    try:
        # A holder that never wrote its PID (older code): the file names a dead process.
        (data_dir / LOCK_FILE).write_text(f"pid {dead} since 2026-01-01T00:00:00+00:00\n")
        thread, messages = _wait_in_thread(data_dir)
        assert len(messages) == 1 and f"pid {holder.pid} is writing" in messages[0], messages
        assert f"pid {dead}" not in messages[0]
    finally:
        holder.kill()
        holder.wait()
    thread.join(10)
    assert not thread.is_alive()
