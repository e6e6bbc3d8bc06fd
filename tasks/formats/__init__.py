"""Parsers for the formats feedparser does not read: JSON Feed, IPTC ninjs and NewsML-G2.

``tasks/parse.py`` asks ``detect_family`` which family a body belongs to and looks the
parser up in ``PARSERS``; the entries in ``FORMAT_PARSERS`` are added there. Each parser
returns a ``ParsedDocument``; a broken item is a warning on the document, never an
exception, and a document with no usable item carries ``error``.
"""

from __future__ import annotations

from newswire.tasks.formats.detect import detect_family
from newswire.tasks.formats.jsonfeed import parse_jsonfeed
from newswire.tasks.formats.newsml_g2 import parse_newsml_g2
from newswire.tasks.formats.ninjs import parse_ninjs
from newswire.tasks.formats.unsupported import parse_newsml_1, parse_unknown_json

FORMAT_PARSERS = {
    "jsonfeed": parse_jsonfeed,
    "ninjs": parse_ninjs,
    "newsml-g2": parse_newsml_g2,
    "newsml-1": parse_newsml_1,
    "json": parse_unknown_json,
}

__all__ = ["FORMAT_PARSERS", "detect_family"]
