"""Taking the writer lock (``data/writer.lock``) and saying who holds it.

The lock is an exclusive ``flock``; the file's text names the holder ("pid 1234 since
…") so a second writer can tell the operator whom it waits for. The holder writes its
PID the moment it has the lock, contended or not: written only after a contended wait,
the file kept naming whichever earlier run last waited, long dead. The text can still be
stale (a holder from before this rule, or caught between truncating and writing), so the
waiter checks the PID is alive and otherwise asks the kernel (``/proc/locks``) which
process holds the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

_POLL_S = 0.2


def take_writer_lock(handle: IO[str], data_dir: Path, on_wait: Callable[[str], None]) -> None:
    """Block until ``handle``'s file is locked exclusively, telling ``on_wait`` once whom
    we wait for; then record this process as the holder."""
    if not _try_lock(handle):
        on_wait(
            f"waiting for the warehouse at {data_dir}: {lock_holder(handle)} is writing "
            "(one writer at a time)"
        )
        while not _try_lock(handle):
            time.sleep(_POLL_S)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}\n")
    handle.flush()


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def lock_holder(handle: IO[str]) -> str:
    """ "pid N since T" for a live holder, as its lock file says, else the PID the kernel
    lists for the lock, else "another run"."""
    for _ in range(5):  # the holder may be between truncate() and write()
        handle.seek(0)
        text = handle.read().strip()
        pid = _pid_in(text)
        if pid is not None and pid_alive(pid):
            return text
        if text:
            break
        time.sleep(0.05)
    kernel_pid = _flock_holder_pid(os.fstat(handle.fileno()).st_ino)
    if kernel_pid is not None:
        return f"pid {kernel_pid}"
    return "another run"


def _pid_in(text: str) -> int | None:
    words = text.split()
    if len(words) >= 2 and words[0] == "pid" and words[1].isdigit():
        return int(words[1])
    return None


def pid_alive(pid: int) -> bool:
    """A process with this PID exists (signal 0 probes without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _flock_holder_pid(inode: int) -> int | None:
    """The PID holding a FLOCK on ``inode``, from Linux's /proc/locks (None elsewhere)."""
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        # "1: FLOCK  ADVISORY  WRITE 12345 fd:01:4456 0 EOF" ("->" marks a blocked waiter)
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
            continue
        device_inode = fields[5].rsplit(":", 1)
        if len(device_inode) == 2 and device_inode[1] == str(inode) and fields[4].isdigit():
            pid = int(fields[4])
            if pid != os.getpid() and pid_alive(pid):
                return pid
    return None
