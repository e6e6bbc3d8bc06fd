"""Static output files (the republished feeds under ``data/outputs/``): written atomically,
and not at all when the bytes are the same.

A feed reader or a web server may read a file at any moment, so each file is written to a
temporary name beside it, flushed and renamed over the old one (a reader sees the old or the
new file, never half of one). A file whose bytes would not change is left untouched — same
bytes and same mtime — so conditional GETs and rsync see nothing new after a quiet run.
"""

from __future__ import annotations

import os
from pathlib import Path

from newswire.warehouse.lake_store import write_file_atomically

OUTPUTS_DIR = "outputs"


def outputs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / OUTPUTS_DIR


def write_if_changed(path: Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` atomically unless it already holds exactly that;
    True when the file was written."""
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_file_atomically(path, data, suffix=f".tmp-{os.getpid()}")
    return True
