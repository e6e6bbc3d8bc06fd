"""Feed catalogues: TOML files a desk edits, turned into validated ``Feed`` records.

A catalogue is data, not code, so a typo must produce a message that names the file, the
feed and the key — and must reject the whole file rather than half-apply it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newswire.tasks.desk import DEFAULT_DESK

FEED_KINDS = ("outlet", "wire", "aggregator")
FEED_FORMATS = ("auto", "rss", "atom", "jsonfeed", "ninjs", "newsml-g2")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_REQUIRED = ("id", "name", "url", "kind", "language", "country")
_OPTIONAL = (
    "tags",
    "outlet",
    "poll_interval_minutes",
    "format",
    "full_text",
    "allow_private_network",
    "path",
    "sitemap",
)
_DEFAULT_KEYS = ("poll_interval_minutes",)


class CatalogError(ValueError):
    """A catalogue file is malformed; the message names the file and the offending feed/key."""


@dataclass(frozen=True)
class Feed:
    id: str
    name: str
    url: str
    kind: str
    language: str
    country: str
    tags: tuple[str, ...] = ()
    outlet: str = ""
    poll_interval_minutes: int | None = None
    format: str = "auto"
    full_text: bool = False
    allow_private_network: bool = False
    # A directory-drop source (agencies deliver by FTP/SFTP into a folder): new files there
    # are picked up instead of polling ``url``, which is then this directory's file:// URL.
    path: str = ""
    # Where the outlet's sitemap (index) is, for sitemap backfills; default: robots.txt.
    sitemap: str = ""

    @property
    def outlet_id(self) -> str:
        """Feeds of one outlet share it, so one article in two of its feeds is one story."""
        return self.outlet or self.id


def _fail(path: Path, where: str, problem: str) -> CatalogError:
    return CatalogError(f"{path}: {where}: {problem}")


def _check_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _feed_from_table(path: Path, index: int, table: dict, defaults: dict) -> Feed:
    where = f"feed #{index + 1}" + (f" (id={table['id']!r})" if "id" in table else "")
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise _fail(path, where, f"unknown key(s) {unknown}; allowed keys are: {allowed}")
    if "path" in table:
        table = _drop_source(path, where, table)
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise _fail(path, where, f"missing required key(s) {missing}")
    for key in _REQUIRED:
        if not isinstance(table[key], str) or not table[key].strip():
            raise _fail(path, where, f"{key} must be a non-empty string, got {table[key]!r}")
    if not _ID_PATTERN.match(table["id"]):
        raise _fail(path, where, "id must be lowercase letters, digits and '-' (max 64 chars)")
    if not table.get("path") and not _check_url(table["url"]):
        raise _fail(path, where, f"url {table['url']!r} is not an http(s) URL")
    if table["kind"] not in FEED_KINDS:
        raise _fail(path, where, f"kind {table['kind']!r} is not one of {FEED_KINDS}")
    if not re.fullmatch(r"[A-Z]{2}", table["country"]):
        raise _fail(path, where, f"country {table['country']!r} is not an ISO 3166-1 alpha-2 code")
    feed_format = table.get("format", "auto")
    if feed_format not in FEED_FORMATS:
        raise _fail(path, where, f"format {feed_format!r} is not one of {FEED_FORMATS}")
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise _fail(path, where, "tags must be a list of strings")
    interval = table.get("poll_interval_minutes", defaults.get("poll_interval_minutes"))
    if interval is not None and (not isinstance(interval, int) or interval <= 0):
        raise _fail(path, where, f"poll_interval_minutes must be a positive integer, got {interval!r}")
    for flag in ("full_text", "allow_private_network"):
        if not isinstance(table.get(flag, False), bool):
            raise _fail(path, where, f"{flag} must be true or false")
    if "sitemap" in table and not _check_url(str(table["sitemap"])):
        raise _fail(path, where, f"sitemap {table['sitemap']!r} is not an http(s) URL")
    return Feed(
        id=table["id"],
        name=table["name"].strip(),
        url=table["url"].strip(),
        kind=table["kind"],
        language=table["language"].strip().lower(),
        country=table["country"],
        tags=tuple(tags),
        outlet=table.get("outlet", ""),
        poll_interval_minutes=interval,
        format=feed_format,
        full_text=table.get("full_text", False),
        allow_private_network=table.get("allow_private_network", False),
        path=table.get("path", ""),
        sitemap=table.get("sitemap", ""),
    )


def _drop_source(path: Path, where: str, table: dict) -> dict:
    """A ``path = "..."`` entry: a directory (relative to the catalogue file, or absolute)
    whose new files are ingested; its ``url`` becomes the directory's file:// URL."""
    if "url" in table:
        raise _fail(path, where, "give either url (a polled feed) or path (a drop directory), not both")
    directory = table["path"]
    if not isinstance(directory, str) or not directory.strip():
        raise _fail(path, where, f"path must be a non-empty string naming a directory, got {directory!r}")
    resolved = (path.resolve().parent / Path(directory.strip()).expanduser()).resolve()
    if resolved.exists() and not resolved.is_dir():
        raise _fail(path, where, f"path {str(resolved)!r} is a file; a drop source is a directory")
    return {**table, "path": str(resolved), "url": resolved.as_uri()}


def parse_catalog(text: str, path: Path, substitutions: dict[str, str] | None = None) -> list[Feed]:
    """Validate a catalogue's TOML text. ``substitutions`` fill ``{name}`` placeholders in
    URLs (the offline sample uses ``{base}`` for the loopback server's address)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{path}: not valid TOML: {error}") from error
    unknown_top = sorted(set(document) - {"defaults", "feed"})
    if unknown_top:
        raise CatalogError(
            f"{path}: unknown top-level key(s) {unknown_top}; expected [defaults] and [[feed]]"
        )
    defaults = document.get("defaults", {})
    unknown_defaults = sorted(set(defaults) - set(_DEFAULT_KEYS))
    if unknown_defaults:
        raise CatalogError(f"{path}: [defaults]: unknown key(s) {unknown_defaults}")
    tables = document.get("feed", [])
    if not isinstance(tables, list) or not tables:
        raise CatalogError(f"{path}: no [[feed]] entries")
    feeds: list[Feed] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        if substitutions:
            table = {
                **table,
                **{
                    k: _substitute(table[k], substitutions)
                    for k in ("url", "sitemap")
                    if isinstance(table.get(k), str)
                },
            }
        feed = _feed_from_table(path, index, table, defaults)
        if feed.id in seen:
            raise _fail(
                path,
                f"feed #{index + 1}",
                f"duplicate id {feed.id!r} (first used by feed #{seen[feed.id] + 1})",
            )
        seen[feed.id] = index
        feeds.append(feed)
    return feeds


def _substitute(url: str, substitutions: dict[str, str]) -> str:
    for name, value in substitutions.items():
        url = url.replace("{" + name + "}", value)
    return url


def load_catalog(path: str | Path, substitutions: dict[str, str] | None = None) -> list[Feed]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogError(f"{path}: cannot read the catalogue: {error.strerror}") from error
    return parse_catalog(text, path, substitutions)


def select_feeds(
    feeds: list[Feed], ids: list[str] | None = None, tags: list[str] | None = None
) -> list[Feed]:
    """Feeds by id and/or tag; an unknown id is an error, not an empty run."""
    if ids:
        known = {feed.id for feed in feeds}
        unknown = [feed_id for feed_id in ids if feed_id not in known]
        if unknown:
            raise CatalogError(f"unknown feed id(s) {unknown}; see `newswire feeds list`")
        feeds = [feed for feed in feeds if feed.id in set(ids)]
    if tags:
        feeds = [feed for feed in feeds if set(tags) & set(feed.tags)]
    return feeds


DEFAULT_CATALOG = DEFAULT_DESK.catalog
