"""``newswire sql``: the operator's own SQL, read-only for real.

The views (warehouse/views.py) read Parquet through DuckDB, which can also write files,
attach databases, install extensions and read any file on the machine. So an analyst
connection is locked down before the first statement (STACK-NOTES.md, checked on DuckDB
2.0.1): the lake is the only directory it may read, external access is off and the
configuration is locked so a statement cannot turn it back on. COPY ... TO a file *inside*
the lake is still allowed by those settings, so every statement that is not a query is
refused before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from newswire.warehouse.lake_store import LakeStore
from newswire.warehouse.views import open_reader


class QueryRefused(ValueError):
    """The SQL is empty or is not a query; the message says which and why."""


@dataclass(frozen=True)
class QueryResult:
    """One statement's answer: its column names and rows."""

    columns: list[str]
    rows: list[tuple]


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lock_down(con: duckdb.DuckDBPyConnection, lake_url: str) -> None:
    """Only the lake is readable, nothing is writable, and it stays that way."""
    con.execute(f"SET allowed_directories = [{_sql_literal(str(lake_url).rstrip('/') + '/')}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _first_line(statement: str) -> str:
    lines = [line.strip() for line in statement.strip().splitlines() if line.strip()]
    text = next((line for line in lines if not line.startswith("--")), lines[0] if lines else "")
    return text if len(text) <= 80 else text[:77] + "..."


def query_statements(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The statements of ``sql``, each a query (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW,
    SUMMARIZE), or ``QueryRefused`` naming the first one that is not."""
    statements = con.extract_statements(sql)
    if not statements:
        raise QueryRefused(
            "no SQL statement given (the input is empty, only comments or only ';'); "
            'e.g. newswire sql "SELECT count(*) FROM stories"'
        )
    for number, statement in enumerate(statements, start=1):
        if statement.type != duckdb.StatementType.SELECT:
            raise QueryRefused(
                f"statement {number} is {statement.type.name}, not a query: newswire sql is read-only "
                f"and runs only SELECT/WITH/DESCRIBE/SHOW (refused: {_first_line(statement.query)}). "
                "Nothing was run. To keep a result, use --format csv or json and redirect the output."
            )
    return [statement.query for statement in statements]


def run_analyst_sql(data_dir: Path, sql: str) -> list[QueryResult]:
    """Every statement's result, in order. Raises ``QueryRefused`` before running anything
    if one is not a query, ``duckdb.Error`` for SQL DuckDB cannot run."""
    store = LakeStore.for_data_dir(Path(data_dir))
    con = open_reader(data_dir, store)
    try:
        statements = query_statements(con, sql)
        lock_down(con, store.url)
        results = []
        for statement in statements:
            cursor = con.execute(statement)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            results.append(QueryResult(columns, cursor.fetchall()))
        return results
    finally:
        con.close()
