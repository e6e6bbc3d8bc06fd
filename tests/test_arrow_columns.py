"""arrow_columns builds exactly what pa.array builds, without importing pandas."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest

from newswire.warehouse import arrow_columns
from newswire.warehouse.schema import FETCHES

AWARE = datetime(2026, 12, 6, 21, 30, 5, 123456, tzinfo=UTC)
CASES = [
    (pa.string(), ["a", None, "ünïcödé", "", "日本"]),
    (pa.string(), []),
    (pa.binary(), [b"\x00\xff", None, b""]),
    (pa.string(), [None, None]),
    (pa.int32(), [1, None, -7, 2**31 - 1]),
    (pa.int64(), [2**40, None, 0]),
    (pa.list_(pa.uint32()), [[2**32 - 1, 0], None]),
    (pa.float64(), [1.5, None, -0.0]),
    (pa.bool_(), [True, False, None, True, True, False, False, True, False]),
    (pa.timestamp("us", tz="UTC"), [AWARE, None, AWARE.astimezone(timezone(timedelta(hours=5)))]),
    (pa.timestamp("us", tz="UTC"), [datetime(1969, 12, 31, 23, 59, 59, 999999)]),
    (pa.timestamp("us"), [datetime(2026, 1, 1, 3, 4, 5), None]),
    (pa.timestamp("us", tz="Etc/UTC"), [AWARE.astimezone(ZoneInfo("Etc/UTC"))]),
    (pa.timestamp("us"), [AWARE]),
    (pa.null(), [None, None]),
    (pa.list_(pa.string()), [["a", "b"], [], None, ["c", None], ["d"]]),
    (pa.list_(pa.string()), [("x",), ()]),
    (
        pa.list_(pa.struct([("code", pa.string()), ("n", pa.int32())])),
        [[{"code": "KZ", "n": 2}, {"code": None}], None, [], [{"n": 1}]],
    ),
    (pa.struct([("a", pa.string()), ("b", pa.list_(pa.string()))]), [{"a": "x", "b": ["y"]}, None, {}]),
]


@pytest.mark.parametrize(("type_", "values"), CASES)
def test_column_is_what_pa_array_builds(type_, values):
    built = arrow_columns.column(values, type_)
    expected = pa.array(values, type_)
    assert built.type == expected.type
    assert built.equals(expected)
    assert built.to_pylist() == expected.to_pylist()


@pytest.mark.parametrize(
    ("type_", "values"),
    [
        (pa.int32(), [2**31]),
        (pa.string(), [1]),
        (pa.int64(), [1.5]),
        (pa.bool_(), [1]),
        (pa.struct([("a", pa.string())]), [{"a": "x", "extra": 1}]),
    ],
)
def test_what_it_does_not_build_behaves_as_pa_array(type_, values):
    try:
        expected = pa.array(values, type_)
    except (pa.ArrowException, OverflowError, TypeError) as error:
        with pytest.raises(type(error)):
            arrow_columns.column(values, type_)
    else:
        assert arrow_columns.column(values, type_).equals(expected)


def test_table_infers_what_pa_table_infers():
    columns = {
        "s": ["a", None],
        "i": [1, 2],
        "b": [True, None],
        "t": [AWARE, None],
        "naive": [datetime(2026, 1, 1), None],
        "f": [0.5, 1.0],
        "mixed": [1, 2.5],
        "empty": [None, None],
        "zoned": [AWARE.astimezone(ZoneInfo("Etc/UTC")), None],
        "asia": [AWARE.astimezone(ZoneInfo("Asia/Almaty")), None],
    }
    assert arrow_columns.table(columns).equals(pa.table(columns))


def test_a_fetch_row_table_needs_no_pandas():
    """A fresh interpreter builds a fetch-log table and has not imported pandas."""
    script = (
        "import sys; from datetime import datetime, UTC\n"
        "from newswire.warehouse.schema import FETCHES\n"
        "row = {name: None for name in FETCHES.schema.names}\n"
        "row.update(fetch_id='f', run_id='r', feed_id='x', fetched_at=datetime.now(UTC), status=304,"
        " not_modified=True, redirects=[])\n"
        "assert FETCHES.to_arrow([row]).num_rows == 1\n"
        "print('pandas' in sys.modules)\n"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


def test_fetch_schema_round_trip():
    row = {name: None for name in FETCHES.schema.names}
    row.update(fetch_id="f", run_id="r", feed_id="x", fetched_at=AWARE, status=200, redirects=["u"])
    assert FETCHES.to_arrow([row]).to_pylist()[0]["redirects"] == ["u"]


@pytest.mark.parametrize(
    ("type_", "values"),
    [
        (pa.int64(), np.array([3, -1, 2**40], dtype=np.int64)),
        (pa.int32(), np.array([1, 2], dtype=np.int32)),
        (pa.float64(), np.array([0.5, -1e300])),
        (pa.int64(), np.array([1, 2], dtype=np.int32)),  # another width: pa.array casts
        (pa.int64(), np.arange(10, dtype=np.int64)[::3]),  # not contiguous
        (pa.list_(pa.struct([("a", pa.string())])), []),
        (pa.date32(), []),
    ],
)
def test_numpy_and_empty_columns_are_what_pa_array_builds(type_, values):
    built = arrow_columns.column(values, type_)
    expected = pa.array(values, type_)
    assert built.type == expected.type
    assert built.equals(expected)
