"""Arrow columns and tables from plain Python values, without pyarrow's pandas probe.

``pa.array(a_list)`` first asks whether the list is a pandas object, and to ask it
imports pandas: 0.4 s and ~45 MB the first time in a process, which is a quarter of
an unchanged re-poll of 500 feeds (its only Arrow tables are the fetch log and the
feed state) and which the flow never needs, since it never hands pyarrow a pandas
object. ``column`` builds the types the warehouse's rows use (strings, bytes, integers,
floats, booleans, UTC microsecond timestamps, lists and structs of those) straight from
buffers; any other type, or a value of an unexpected kind, goes to ``pa.array``, so
the result (and any error) is always what ``pa.array(values, type)`` gives
(tests/test_arrow_columns.py checks them against each other).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_TIMESTAMP_UTC = pa.timestamp("us", tz="UTC")
_NUMBERS = {
    pa.int32(): ("i", int),
    pa.uint32(): ("I", int),
    pa.int64(): ("q", int),
    pa.float64(): ("d", float),
}
_NUMPY = {pa.int32(): np.dtype(np.int32), pa.int64(): np.dtype(np.int64), pa.float64(): np.dtype(np.float64)}


class _Unsupported(Exception):
    """A value this module does not build: ``pa.array`` decides."""


def column(values: Sequence[Any], type: pa.DataType) -> pa.Array:
    """``pa.array(values, type)``, built without importing pandas where it can be."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values if values.type == type else pa.array(values, type)
    if isinstance(values, np.ndarray):
        return _from_numpy(values, type)
    if not len(values):
        return pa.nulls(0, type)
    try:
        return _build(list(values), type)
    except (_Unsupported, OverflowError, TypeError, AttributeError, UnicodeError):
        return pa.array(values, type)


def table(columns: dict[str, Any], schema: pa.Schema | None = None) -> pa.Table:
    """``pa.table(columns, schema=schema)`` with every list column built by ``column``.
    Without a schema each column's type is the one ``pa.array`` infers for values of
    a single Python type (str, int, float, bool, datetime); mixed or other values are
    inferred by ``pa.array`` itself."""
    types = {field.name: field.type for field in schema} if schema is not None else {}
    arrays = {}
    for name, values in columns.items():
        wanted = types.get(name) or _inferred(values)
        arrays[name] = values if wanted is None else column(values, wanted)
    return pa.table(arrays, schema=schema)


def _from_numpy(values: np.ndarray, type: pa.DataType) -> pa.Array:
    """A one-dimensional numeric array of the type's own width, as a view of its
    buffer; anything else (objects, other widths, masks) goes to ``pa.array``."""
    wanted = _NUMPY.get(type)
    if wanted is None or values.ndim != 1 or values.dtype != wanted:
        return pa.array(values, type)
    data = np.ascontiguousarray(values)
    return pa.Array.from_buffers(type, len(data), [None, pa.py_buffer(data)], 0)


def _inferred(values: Any) -> pa.DataType | None:
    """The type ``pa.array`` infers for a list of one kind of value (None: let it infer)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.type
    if isinstance(values, np.ndarray):
        return {v: k for k, v in _NUMPY.items()}.get(values.dtype) if values.ndim == 1 else None
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return pa.null()
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    if kind is datetime:
        return _zone_type({v.tzinfo for v in values if v is not None})
    return {str: pa.string(), bool: pa.bool_(), int: pa.int64(), float: pa.float64()}.get(kind)


def _zone_type(zones: set[Any]) -> pa.DataType | None:
    """The timestamp type pa.array infers for datetimes of these zones: naive ones none,
    datetime.timezone.utc "UTC", a ZoneInfo its key (DuckDB hands out "Etc/UTC")."""
    if len(zones) != 1:
        return None
    (zone,) = zones
    if zone is None:
        return pa.timestamp("us")
    if zone is UTC:
        return _TIMESTAMP_UTC
    key = getattr(zone, "key", None)
    return pa.timestamp("us", tz=key) if isinstance(zone, ZoneInfo) and key else None


def _build(values: list[Any], type: pa.DataType) -> pa.Array:
    n = len(values)
    validity, nulls = _validity(values)
    if type == pa.string() or type == pa.binary():
        offsets, data = _string_buffers(values, str if type == pa.string() else bytes)
        return pa.Array.from_buffers(type, n, [validity, offsets, data], nulls)
    if type in _NUMBERS:
        code, kind = _NUMBERS[type]
        if any((v is not None and not isinstance(v, kind)) or isinstance(v, bool) for v in values):
            raise _Unsupported(type)
        data = array(code, (0 if v is None else v for v in values))
        return pa.Array.from_buffers(type, n, [validity, pa.py_buffer(data)], nulls)
    if type == pa.bool_():
        if any(v is not None and not isinstance(v, bool) for v in values):
            raise _Unsupported(type)
        return pa.Array.from_buffers(type, n, [validity, _bits(v is True for v in values)], nulls)
    if type == pa.null():
        return pa.nulls(n)
    if pa.types.is_timestamp(type) and type.unit == "us":
        if type.tz is None and any(v is not None and v.utcoffset() is not None for v in values):
            raise _Unsupported(type)
        micros = array("q", (0 if v is None else _micros(v) for v in values))
        return pa.Array.from_buffers(type, n, [validity, pa.py_buffer(micros)], nulls)
    if pa.types.is_list(type):
        if any(v is not None and not isinstance(v, list | tuple) for v in values):
            raise _Unsupported(type)
        items = [item for v in values if v is not None for item in v]
        lengths = (0 if v is None else len(v) for v in values)
        offsets = pa.py_buffer(array("i", accumulate(lengths, initial=0)))
        child = _build(items, type.value_type)
        return pa.Array.from_buffers(type, n, [validity, offsets], nulls, children=[child])
    if pa.types.is_struct(type):
        names = {field.name for field in type}
        if any(v is not None and (not isinstance(v, dict) or not v.keys() <= names) for v in values):
            raise _Unsupported(type)
        children = [_build([None if v is None else v.get(f.name) for v in values], f.type) for f in type]
        return pa.Array.from_buffers(type, n, [validity], nulls, children=children)
    raise _Unsupported(type)


def _validity(values: list[Any]) -> tuple[pa.Buffer | None, int]:
    nulls = sum(1 for v in values if v is None)
    return (_bits(v is not None for v in values) if nulls else None), nulls


def _bits(flags) -> pa.Buffer:
    """Arrow's bitmap: bit i of byte i // 8, least significant first."""
    packed = bytearray()
    byte = shift = 0
    for flag in flags:
        byte |= flag << shift
        shift += 1
        if shift == 8:
            packed.append(byte)
            byte = shift = 0
    if shift:
        packed.append(byte)
    return pa.py_buffer(bytes(packed))


def _string_buffers(values: list[Any], kind: type) -> tuple[pa.Buffer, pa.Buffer]:
    if any(v is not None and type(v) is not kind for v in values):
        raise _Unsupported(kind)
    encoded = [b"" if v is None else v.encode("utf-8") if kind is str else v for v in values]
    offsets = array("i", accumulate((len(b) for b in encoded), initial=0))
    return pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))


def _micros(value: Any) -> int:
    if type(value) is not datetime:
        raise _Unsupported(value)
    if value.utcoffset() is None:
        return (value - _NAIVE_EPOCH) // _MICROSECOND
    return (value - _EPOCH) // _MICROSECOND
