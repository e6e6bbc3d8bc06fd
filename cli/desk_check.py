"""Refuse a broken desk data file before Prefect starts, without paying for it every run.

Building the enrichment rules from the desk's files (the CLDR gazetteer's ~48,000 names,
the agency patterns) takes ~1.7 s on an idle core. ``ingest`` builds them once before the
run starts so a typo in agencies.toml is refused before any feed is fetched — but a poll
that finds nothing new (every feed answers 304) needs no rules at all, and paid that on
every cron tick. A check that passed is remembered, keyed by the files' paths, sizes and
modification times and by the code that checked them (newswire's version and its tasks/
sources' times, so an edited rule loader checks again); the next command with the same
files skips it. A changed file is checked again at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import newswire
import newswire.tasks
from newswire.flows.runtime.prefect_env import user_state_dir
from newswire.tasks.desk import DeskProfile

# Keys remembered: a few desks (sample, default, a test desk) checked alternately.
REMEMBERED_CHECKS = 16


def checked_record_path() -> Path:
    """One record per user, beside the user's Prefect home (flows/runtime/prefect_env.py)."""
    return user_state_dir() / "desk-files-checked.json"


def check_key(desk: DeskProfile) -> str:
    """What a check depends on: each data file's path, size and mtime, and the code."""
    files = [desk.region, desk.agencies, desk.boilerplate, desk.outputs]
    code = Path(newswire.tasks.__file__).parent
    stamps = [_stamp(Path(path)) for path in files]
    code_stamp = max((_stamp(source)[2] for source in code.glob("*.py")), default=0)
    return json.dumps([newswire.__version__, code_stamp, stamps])


def check_desk_files(desk: DeskProfile, record: Path | None = None) -> bool:
    """Build the desk's enrichment rules and saved queries (raising their ``DataFileError``)
    unless these very files passed before; True when the check ran."""
    record = record or checked_record_path()
    key = check_key(desk)
    remembered = _read(record)
    if key in remembered:
        return False
    desk.enrichment_rules()
    desk.saved_queries()
    _write(record, [*(k for k in remembered if k != key), key][-REMEMBERED_CHECKS:])
    return True


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return str(path), -1, -1
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _read(record: Path) -> list[str]:
    try:
        keys = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # none yet, or damaged: check again and write it anew
    return [key for key in keys if isinstance(key, str)] if isinstance(keys, list) else []


def _write(record: Path, keys: list[str]) -> None:
    """Best effort: a record that cannot be written only means the next command checks again."""
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        temporary = record.with_name(f"{record.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(keys), encoding="utf-8")
        temporary.replace(record)
    except OSError:
        pass
