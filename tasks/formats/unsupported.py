"""Documents we recognise but do not ingest, with an error that says what to do."""

from __future__ import annotations

import json

from newswire.tasks.documents import ParsedDocument


def parse_newsml_1(body: bytes, headers: dict[str, str], url: str) -> ParsedDocument:
    return ParsedDocument(
        format="newsml-1",
        error=(
            "NewsML 1.x is not supported (only NewsML-G2, ninjs, JSON Feed, RSS and Atom): ask the "
            "agency for its NewsML-G2 or ninjs service, see docs/wire-formats.md"
        ),
    )


def parse_unknown_json(body: bytes, headers: dict[str, str], url: str) -> ParsedDocument:
    try:
        document = json.loads(body)
    except ValueError as error:
        return ParsedDocument(format="json", error=f"not valid JSON: {error}")
    except RecursionError:
        return ParsedDocument(format="json", error="not valid JSON: nested too deeply")
    if isinstance(document, dict) and "$schema" in document:
        what = f"a JSON Schema ({document.get('$schema')}), not a feed or news item"
    elif isinstance(document, dict):
        what = f"JSON with top-level keys {sorted(document)[:12]}"
    else:
        what = f"a JSON {type(document).__name__}"
    return ParsedDocument(
        format="json",
        error=f"{what}: neither a JSON Feed (version/items) nor ninjs (uri + headline(s)/body)",
    )
