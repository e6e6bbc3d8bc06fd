"""IPTC ninjs 1.x, 2.x and 3.x (https://iptc.org/standards/ninjs/).

Fields moved and were renamed between versions; each row is (1.x | 2.x | 3.x):

- identity: ``uri`` in all; ``version`` (string in 1.x, number or string later)
- dates: ``versioncreated``/``firstcreated`` | same | ``versionCreated``/``firstCreated``
- status: ``pubstatus`` | ``pubstatus`` | ``pubStatus`` (usable / withheld / canceled)
- headline: ``headline`` (string) | ``headlines`` [{role, value}] | ``headlines``; 3.x
  ``title`` is the item's name, used only when there is no headline
- body: ``body_html``/``body_xhtml``/``body_text`` | ``bodies`` [{role, contenttype, value}]
  | ``bodies`` [{role, contentType, value}]; an NITF body is reduced to its body.content
- summary: ``description_*`` | ``descriptions`` | ``descriptions``
- byline: ``byline`` | ``by`` | ``by``; dateline place: ``located`` in all
- subjects: ``subject`` [{name, scheme, code}] | ``subject`` [{name, uri, literal}] |
  ``subjects`` [{name, uri, literal}]
- agency: 3.x ``infoSources[].name``, else ``copyrightholder``/``copyrightHolder``

``associations`` (pictures, videos attached to a story) are never read into the story:
a picture's caption is not the story body. A timeline/collection file is a JSON array of
items; each item becomes an entry and a broken one is a warning, not a failed document.
"""

from __future__ import annotations

import json
from typing import Any

from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.formats.common import (
    as_int,
    as_text,
    parse_datetime,
    read_items,
    subject,
    wire_status,
    without_figures,
)
from newswire.tasks.formats.nitf import nitf_body_html

# Body representations, most useful first. NITF and plain text come after HTML because
# HTML keeps the paragraph structure and NITF needs reducing to its body.content.
_BODY_PREFERENCE = ("html", "xhtml", "nitf", "text")


def _field(item: dict[str, Any], *names: str) -> Any:
    for name in names:
        if item.get(name) not in (None, "", []):
            return item[name]
    return None


def _headline(item: dict[str, Any]) -> str | None:
    flat = as_text(item.get("headline"))
    if flat:
        return flat
    headlines = item.get("headlines")
    if isinstance(headlines, list):
        candidates = [h for h in headlines if isinstance(h, dict) and as_text(h.get("value"))]
        main = [h for h in candidates if h.get("role") in (None, "main")]
        if main or candidates:
            return as_text((main or candidates)[0]["value"])
    return as_text(item.get("title")) or as_text(item.get("slugline"))


def _kind(representation: dict[str, Any]) -> str:
    """html / xhtml / nitf / text from a ninjs 2.x/3.x body or description object."""
    content_type = str(representation.get("contentType") or representation.get("contenttype") or "").lower()
    role = str(representation.get("role") or "").lower()
    if "nitf" in content_type or role == "nitf":
        return "nitf"
    if "xhtml" in content_type or role == "xhtml":
        return "xhtml"
    if "html" in content_type or role == "html":
        return "html"
    return "text"


def _representations(item: dict[str, Any], flat_prefix: str, list_name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for kind in ("html", "xhtml", "text"):
        value = as_text(item.get(f"{flat_prefix}_{kind}"))
        if value:
            found[kind] = value
    listed = item.get(list_name)
    if isinstance(listed, list):
        for representation in listed:
            if isinstance(representation, dict) and as_text(representation.get("value")):
                found.setdefault(_kind(representation), representation["value"])
    return found


def _best(representations: dict[str, str]) -> str | None:
    for kind in _BODY_PREFERENCE:
        if kind in representations:
            value = representations[kind]
            if kind == "nitf":
                value = nitf_body_html(value) or None
                if value is None:
                    continue
            if kind in ("html", "xhtml"):
                value = without_figures(value)
            if kind == "text":
                # Plain text: keep paragraph breaks through the HTML cleaner.
                value = "".join(f"<p>{para}</p>" for para in value.split("\n\n") if para.strip())
            return value
    return None


def _subjects(item: dict[str, Any]) -> list[dict[str, str | None]]:
    listed = _field(item, "subjects", "subject")
    if not isinstance(listed, list):
        return []
    subjects = []
    for entry in listed:
        if not isinstance(entry, dict):
            continue
        uri = as_text(entry.get("uri"))
        scheme = as_text(entry.get("scheme"))
        code = as_text(entry.get("code")) or as_text(entry.get("literal"))
        if uri and not code:
            scheme, _, code = uri.rstrip("/").rpartition("/")
            scheme = scheme + "/" if scheme else None
        elif uri and not scheme:
            scheme = uri.rstrip("/").rpartition("/")[0] + "/"
        found = subject(scheme, code, as_text(entry.get("name")))
        if found:
            subjects.append(found)
    return subjects


def _agency(item: dict[str, Any]) -> str | None:
    sources = item.get("infoSources") or item.get("infosources")
    if isinstance(sources, list):
        for source in sources:
            if isinstance(source, dict) and as_text(source.get("name")):
                return as_text(source["name"])
    return as_text(_field(item, "copyrightHolder", "copyrightholder"))


def ninjs_entry(item: Any) -> ParsedEntry:
    if not isinstance(item, dict):
        raise ValueError(f"is a JSON {type(item).__name__}, not an object")
    uri = as_text(item.get("uri")) or as_text(item.get("guid"))
    if not uri:
        raise ValueError("has no uri")
    byline = as_text(_field(item, "by", "byline"))
    subjects = _subjects(item)
    extra: dict[str, Any] = {
        "wire_version": as_int(item.get("version")),
        "urgency": as_int(item.get("urgency")),
        "subjects": subjects,
        "wire_agency": _agency(item),
        "dateline_place": as_text(item.get("located")),
        **wire_status(as_text(_field(item, "pubStatus", "pubstatus"))),
    }
    return ParsedEntry(
        guid=uri,
        title=_headline(item),
        summary=_best(_representations(item, "description", "descriptions")),
        content=_best(_representations(item, "body", "bodies")),
        published=parse_datetime(_field(item, "firstCreated", "firstcreated")),
        updated=parse_datetime(_field(item, "versionCreated", "versioncreated")),
        authors=[byline] if byline else [],
        categories=[s["name"] for s in subjects if s["name"]],
        language=as_text(item.get("language")),
        extra=extra,
    )


def ninjs_version(item: dict[str, Any]) -> str:
    """The ninjs major version the item is written in, from its shape."""
    standard = item.get("standard")
    if isinstance(standard, dict) and as_text(standard.get("version")):
        return as_text(standard["version"]) or "3"
    if any(
        key in item for key in ("versionCreated", "pubStatus", "subjects", "firstCreated", "eventDetails")
    ):
        return "3"
    if any(key in item for key in ("headlines", "bodies", "descriptions")):
        return "2"
    return "1"


def parse_ninjs(body: bytes, headers: dict[str, str], url: str) -> ParsedDocument:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        return ParsedDocument(format="ninjs", error=f"not valid JSON: {error}")
    items = payload if isinstance(payload, list) else [payload]
    first = next((item for item in items if isinstance(item, dict)), {})
    document = ParsedDocument(format=f"ninjs-{ninjs_version(first)}")
    return read_items(document, items, ninjs_entry, "ninjs item", "the array is empty")
