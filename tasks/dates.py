"""Whether a date string a document states can be believed as written.

Date parsers are lenient in ways that invent dates: feedparser reads ``-0001-01-01`` as
2000-01-01, normalises month 13 into next January and applies a ``+9999`` offset as
99 hours 99 minutes. ``date_text_problem`` says why a string cannot be taken at face
value, so the parsers treat such a date as unknown (the normaliser then uses the fetch
time and flags the entry ``invalid``) instead of storing an invented one. Years that
parse but are not plausible for a news item (before ``NormalisePolicy``'s earliest year)
are the normaliser's decision, not this module's.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime

# An ISO 8601 calendar date at the start of the string (extended or basic form).
_ISO_DATE = re.compile(r"^\s*([+-]?)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
# A numeric UTC offset after a time of day ("10:00:00 +0300", "10:00:00.5-05:00").
_OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*([+-])(\d{2}):?(\d{2})\s*$")
# Real offsets run from -12:00 to +14:00.
_MAX_OFFSET_HOURS = 14


def date_text_problem(text: str | None) -> str | None:
    """Why ``text`` is not a date as written (a signed year, a day the calendar does not
    have, an offset no time zone uses), or None when nothing is wrong with it."""
    if not text or not text.strip():
        return None
    iso = _ISO_DATE.match(text)
    if text.strip().startswith("-") or (iso and iso.group(1)):
        return f"{text.strip()[:40]!r} has a signed (expanded) year"
    if iso:
        year, month, day = (int(part) for part in iso.groups()[1:])
        try:
            date(year, month, day)
        except ValueError:
            return f"{text.strip()[:40]!r} is not a calendar date (year {year}, month {month}, day {day})"
    offset = _OFFSET.search(text)
    if offset:
        hours, minutes = int(offset.group(2)), int(offset.group(3))
        if hours > _MAX_OFFSET_HOURS or minutes > 59:
            sign = offset.group(1)
            return f"{text.strip()[:40]!r} has an offset no time zone uses ({sign}{hours:02}{minutes:02})"
    return None


def struct_to_datetime(value) -> datetime | None:
    """A UTC ``time.struct_time`` (feedparser's parsed dates) as an aware datetime."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
