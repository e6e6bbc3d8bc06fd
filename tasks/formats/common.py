"""Helpers the JSON Feed, ninjs and NewsML-G2 parsers share: dates, loose typing, the
mapping of a wire publication status onto ``withdrawn``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import lxml.html
from lxml import etree

from newswire.tasks.dates import date_text_problem

# IPTC publication status (ninjs `pubstatus`, NewsML-G2 `stat:` qcodes): "withheld" means
# do not use until further notice, "canceled" means kill the story. Both take it out of
# the default `stories` view; it stays in `stories_all` and `story_versions`.
WITHDRAWING_STATUSES = frozenset({"withheld", "canceled", "cancelled"})

# ISO 8601 without separators, as NewsML 1.2 and some agency exports write it.
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z|[+-]\d{4})?$")


def parse_datetime(value: Any) -> datetime | None:
    """RFC 3339 / ISO 8601 (full or compact) or RFC 822, as an aware UTC datetime.
    Anything else, and a string that is no date as written (month 13, a signed year, an
    offset of +9999: tasks/dates.py), is None."""
    if not isinstance(value, str) or not value.strip() or date_text_problem(value):
        return None
    text = value.strip()
    compact = _COMPACT.match(text)
    if compact:
        year, month, day, hour, minute, second, zone = compact.groups()
        offset = "+00:00" if zone in (None, "Z") else f"{zone[:3]}:{zone[3:]}"
        text = f"{year}-{month}-{day}T{hour}:{minute}:{second}{offset}"
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        # Agencies deliver UTC when they omit the offset (IPTC recommends UTC).
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def stated_date(value: Any) -> tuple[datetime | None, str | None]:
    """``parse_datetime(value)`` and, when a date was given but cannot be used, why."""
    moment = parse_datetime(value)
    if moment is not None or value is None or (isinstance(value, str) and not value.strip()):
        return moment, None
    if isinstance(value, str):
        return None, date_text_problem(value) or f"{value.strip()[:40]!r} is not a date we can read"
    return None, f"a JSON {type(value).__name__} is not a date"


def as_text(value: Any) -> str | None:
    """A string field that may arrive as a number or be absent."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def as_int(value: Any) -> int | None:
    """ninjs 1.x gives `version` as a string, 2.x/3.x as a number or string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def wire_status(pubstatus: str | None) -> dict[str, Any]:
    """``pubstatus`` and ``withdrawn`` columns from a status word or an IPTC qcode."""
    status = (pubstatus or "usable").strip().lower()
    status = status.split(":", 1)[1] if ":" in status else status
    return {"pubstatus": status, "withdrawn": status in WITHDRAWING_STATUSES}


def subject(scheme: str | None, code: str | None, name: str | None) -> dict[str, str | None] | None:
    if not (code or name):
        return None
    return {"scheme": scheme or None, "code": code or None, "name": name or None}


def split_qcode(qcode: str | None) -> tuple[str | None, str | None]:
    """'medtop:04000000' -> ('medtop', '04000000')."""
    if not qcode:
        return None, None
    if ":" in qcode and not qcode.startswith(("http:", "https:", "urn:")):
        scheme, code = qcode.split(":", 1)
        return scheme, code
    return None, qcode


def read_items(document, items: Iterable[Any], read_item: Callable[[Any], Any], what: str, empty_reason=None):
    """Append ``read_item(item)`` for each item to ``document.entries``; an item that
    raises ValueError is skipped with a warning naming its position, never failing the
    document. With no usable item (and items given, or ``empty_reason`` saying why an
    empty document is wrong) the document gets ``error``."""
    items = list(items)
    for index, item in enumerate(items):
        try:
            document.entries.append(read_item(item))
        except ValueError as problem:
            document.warnings.append(f"item #{index + 1} skipped: {problem}")
    document.entries = _newest_version_per_guid(document.entries)
    if not document.entries and (items or empty_reason):
        reason = document.warnings[0] if document.warnings else empty_reason
        document.error = f"no usable {what} ({reason})"
    return document


def without_figures(markup: str) -> str:
    """An agency HTML body minus embedded ``<figure>`` blocks: the picture and its caption
    belong to the associated picture item, not to the story text."""
    if "<figure" not in markup.lower():
        return markup
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return markup
    for figure in list(root.iter("figure")):
        figure.drop_tree()
    return lxml.html.tostring(root, encoding="unicode")


def _newest_version_per_guid(entries: list) -> list:
    """A newsMessage or ninjs array may carry two versions of one guid; the normaliser
    keeps one entry per id (the last), so make that the newest version."""
    newest: dict[str, Any] = {}
    for entry in entries:
        version = entry.extra.get("wire_version")
        current = newest.get(entry.guid)
        if current is None or (version or 0) >= (current.extra.get("wire_version") or 0):
            newest[entry.guid] = entry
    return [entry for entry in entries if entry.guid is None or newest[entry.guid] is entry]
