"""A per-user disk cache of the built enrichment rules, so a process does not rebuild them.

Building the rules (tasks/enrich.py ``EnrichmentRules.load``: the gazetteer's ~270,000
country and place names from CLDR in every locale the region reads, with their case forms;
the agency and dateline grammars) costs 4-24 s of CPU on this project's 2-core machines
and leaves ~150 MB behind, a third of it transient (babel's locale data, the dicts the
gazetteer is merged from) — in every CLI command, every flow process and every worker.
Unpickling the finished rules costs about a third of the time (what remains is ``re``
compiling the agency alternations again: a compiled pattern cannot be stored) and about
half the memory.

A cache entry is valid only for what it was built from, and that is checked, not trusted:

- its name is a digest of the source of every module under ``tasks/`` (so any rule change
  in the code builds afresh), the versions of Python and of the libraries the rules read
  data from (babel's CLDR, pycountry, anyascii), and the three files the desk names;
- inside, beside the rules, the SHA-256 of every data file the build read (a region file
  includes others, and names people files), recorded by ``tasks.datafiles.recording``;
  a hit re-hashes each of them (~1 ms) and any difference is a miss.

A bad or unreadable entry is a miss too; a failed write is ignored (the cache only ever
saves time). ``NEWSWIRE_RULES_CACHE`` names the directory; ``off`` disables it. The
default is ``$XDG_CACHE_HOME/newswire/rules`` (else ``~/.cache/newswire/rules``). Only
the newest ``KEEP`` entries are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from newswire.tasks.datafiles import file_digest, recording

T = TypeVar("T")

TASKS_DIR = Path(__file__).resolve().parent
# Libraries whose data a build reads: their version is part of the key.
DATA_LIBRARIES = ("babel", "pycountry", "anyascii")
KEEP = 8
# Raised whenever the entry layout changes.
FORMAT = 1


@dataclass(frozen=True)
class CacheEntry:
    """What is stored: the rules and the data files they were built from."""

    format: int
    files: dict[str, str]
    value: object


def cache_directory() -> Path | None:
    """Where entries live, or None when the cache is off."""
    chosen = os.environ.get("NEWSWIRE_RULES_CACHE", "").strip()
    if chosen.lower() in ("off", "0", "false", "no"):
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newswire" / "rules"


@cache
def code_fingerprint() -> str:
    """Digest of the code that builds rules and of the libraries' versions (once per process)."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for source in sorted(TASKS_DIR.rglob("*.py")):
        digest.update(source.relative_to(TASKS_DIR).as_posix().encode())
        digest.update(source.read_bytes())
    for library in DATA_LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}={version}".encode())
    return digest.hexdigest()


def entry_name(inputs: tuple[Path, ...]) -> str:
    """The entry's file name for a build from ``inputs`` with today's code."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for path in inputs:
        resolved = Path(path).resolve()
        digest.update(f"{resolved}\0{file_digest(resolved)}\0".encode())
    return digest.hexdigest()[:32] + ".pickle"


def _still_valid(entry: object) -> bool:
    return (
        isinstance(entry, CacheEntry)
        and entry.format == FORMAT
        and all(file_digest(Path(path)) == digest for path, digest in entry.files.items())
    )


def _read(path: Path) -> object | None:
    try:
        with path.open("rb") as handle:
            entry = pickle.load(handle)
    except Exception:  # missing, damaged or foreign: a miss, never an error
        return None
    return entry.value if _still_valid(entry) else None


def _write(directory: Path, name: str, entry: CacheEntry) -> None:
    """Atomically (a temporary file renamed), then prune to the newest ``KEEP``. Any
    failure, a prune racing another process's included, only leaves the cache as it was."""
    temporary: str | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(entry, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, directory / name)
        temporary = None
        entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[KEEP:]:
            stale.unlink(missing_ok=True)
    except Exception:  # a cache that cannot be written only costs time
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def cached_build(inputs: tuple[Path, ...], build: Callable[[], T]) -> T:
    """``build()``'s result for these input files, from the cache when an entry for the
    same code, libraries and data files exists; else built, stored and returned. Errors of
    ``build`` (a bad data file) propagate and store nothing."""
    directory = cache_directory()
    if directory is None:
        return build()
    name = entry_name(inputs)
    value = _read(directory / name)
    if value is not None:
        return value  # type: ignore[return-value]
    with recording() as files:
        value = build()
    _write(directory, name, CacheEntry(format=FORMAT, files=dict(files), value=value))
    return value
