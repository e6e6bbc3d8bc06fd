"""Export a date range of the lake's committed rows as Parquet, CSV or JSON lines.

Rows come from the reader views (``warehouse/views.py``), so only rows of published runs
are exported and the latest-row views (``stories``, ``appearances``) give one row per key.
DuckDB's COPY streams each table to its file (nested columns stay nested in Parquet and
JSON, and are written as text in CSV). The schema version goes into every Parquet file's
key-value metadata and into ``manifest.json`` beside the files, so a reader of an export
knows which SCHEMA.md describes it. Files are written under a temp name and renamed: an
interrupted export leaves no half file under a final name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from newswire.warehouse.schema import SCHEMA_VERSION
from newswire.warehouse.versions import VERSION_KEY
from newswire.warehouse.views import open_reader

# Exportable views and the order their rows are written in (stable across exports).
EXPORTABLE = {
    "stories": "story_id",
    "stories_all": "story_id",
    "story_versions": "story_id, revision",
    "appearances": "appearance_id",
    "appearance_versions": "appearance_id, revision",
    "fetches": "fetch_id",
}
FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
MANIFEST = "manifest.json"


class ExportRefused(ValueError):
    """Parameters that cannot be exported (unknown table or format, end before start)."""


@dataclass
class ExportedTable:
    table: str
    file: str
    rows: int


@dataclass
class ExportReport:
    out_dir: str
    schema_version: int
    start: str
    end: str
    format: str
    exported_at: str
    tables: list[ExportedTable] = field(default_factory=list)


def validate(tables: list[str], fmt: str, start: date, end: date) -> None:
    unknown = sorted(set(tables) - set(EXPORTABLE))
    if unknown:
        raise ExportRefused(f"cannot export {unknown}: the tables are {', '.join(EXPORTABLE)}")
    if fmt not in FORMATS:
        raise ExportRefused(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if end < start:
        raise ExportRefused(f"--to {end} is before --from {start}")


def _copy_options(fmt: str) -> str:
    if fmt == "parquet":
        return (
            f"FORMAT parquet, COMPRESSION zstd, "
            f"KV_METADATA {{'{VERSION_KEY.decode()}': '{SCHEMA_VERSION}'}}"
        )
    if fmt == "csv":
        return "FORMAT csv, HEADER true"
    return "FORMAT json"


def export(
    data_dir: Path,
    start: date,
    end: date,
    tables: list[str],
    fmt: str,
    out_dir: Path,
    on_table: Callable[[ExportedTable], None] | None = None,
) -> ExportReport:
    """Rows of ``tables`` whose ``date`` partition is in ``start..end`` (inclusive) into
    ``out_dir/<table>.<format>``, plus ``manifest.json``."""
    validate(tables, fmt, start, end)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport(
        out_dir=str(out_dir),
        schema_version=SCHEMA_VERSION,
        start=start.isoformat(),
        end=end.isoformat(),
        format=fmt,
        exported_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    con = open_reader(data_dir)
    try:
        for table in tables:
            target = out_dir / f"{table}.{FORMATS[fmt]}"
            temporary = out_dir / f".{target.name}.tmp"
            # Dates are validated date objects: their ISO form is safe to inline (COPY
            # takes no parameters).
            select = (
                f"SELECT * FROM {table} WHERE date BETWEEN DATE '{start}' AND DATE '{end}' "
                f"ORDER BY {EXPORTABLE[table]}"
            )
            path = str(temporary).replace("'", "''")
            rows = con.execute(f"COPY ({select}) TO '{path}' ({_copy_options(fmt)})").fetchone()[0]
            os.replace(temporary, target)
            exported = ExportedTable(table=table, file=target.name, rows=rows)
            report.tables.append(exported)
            if on_table:
                on_table(exported)
    finally:
        con.close()
    manifest = out_dir / MANIFEST
    temporary = out_dir / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(asdict(report), indent=2) + "\n")
    os.replace(temporary, manifest)
    return report
