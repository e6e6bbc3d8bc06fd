"""Static output files (the republished feeds under ``data/outputs/``): written atomically,
and not at all when the bytes are the same.

A feed reader or a web server may read a file at any moment, so each file is written to a
temporary name beside it, flushed and renamed over the old one (a reader sees the old or the
new file, never half of one). A file whose bytes would not change is left untouched — same
bytes and same mtime — so conditional GETs and rsync see nothing new after a quiet run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from newswire.warehouse import manifest
from newswire.warehouse.lake_store import LakeStore, write_file_atomically

OUTPUTS_DIR = "outputs"
# What the last complete publish was made from (``published_from``), beside the writer state.
PUBLISHED_FILE = Path("state") / "outputs.json"
# The lake tables the saved queries read (the ``stories`` view and its appearances).
STORY_TABLES = ("appearances", "stories")


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


def story_files_digest(data_dir: Path) -> str | None:
    """A digest of the committed story and appearance files the readers see now (the
    current manifest's; files are immutable, so the same list is the same rows), None
    for a lake without a manifest."""
    current = manifest.read_current(LakeStore.for_data_dir(data_dir))
    if current is None:
        return None
    files = sorted((f.path, f.size, f.sha256) for table in STORY_TABLES for f in current.files_of(table))
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()


def published_from(data_dir: Path) -> str | None:
    """The key the last complete publish recorded (``record_published``), if any."""
    try:
        return json.loads((Path(data_dir) / PUBLISHED_FILE).read_text(encoding="utf-8")).get("key")
    except (FileNotFoundError, ValueError, AttributeError):
        return None


def record_published(data_dir: Path, key: str | None) -> None:
    """Note the key of a publish that wrote every file and alert it had to (None forgets
    it: the next publish runs in full)."""
    path = Path(data_dir) / PUBLISHED_FILE
    if key is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomically(path, json.dumps({"key": key}).encode(), suffix=f".tmp-{os.getpid()}")
