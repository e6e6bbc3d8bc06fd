"""Saved queries (``feeds/outputs.toml``): what a desk reads, each a name and filters over the
``stories`` view, republished as an Atom feed and a JSON Feed and optionally alerted on.

This module only reads and checks the file (pure, no warehouse): a typo in a filter is
refused with the file and the entry named before anything runs, rather than republishing an
empty feed. The SQL the filters become lives with the other read-side queries
(warehouse/queries.py ``saved_query_stories``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from newswire.tasks.datafiles import DataFileError, load_data_file

# A query's name is its file name under data/outputs/ and its URL path on the story page.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")
# ${NAME} in a notify URL: tokens of Telegram bots, Slack webhooks and mail passwords stay in
# the environment, not in a file the desk commits.
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Where the story page and the republished feeds are served (`newswire serve`): the base of
# the feeds' self links and of the story links in alerts.
DEFAULT_BASE_URL = "http://127.0.0.1:8787"
# The newest stories per feed: a reader polls every few minutes, and 100 items is more than a
# day of any regional wire query; older stories stay in the lake for SQL.
DEFAULT_LIMIT = 100
# An alert is for news: a story published longer ago than this (a backfill, a new feed's
# back catalogue, a query added to an old lake) is recorded as handled without being sent.
# A day covers a desk's news cycle and a wire's late corrections; 0 in the file: no limit.
DEFAULT_ALERT_MAX_AGE_HOURS = 24.0

LIST_FILTERS = ("countries", "primary_country", "agencies", "languages", "outlets", "keywords")
QUERY_KEYS = {"name", "title", "in_region", "min_outlets", "where", "limit", "alert", *LIST_FILTERS}
ALERT_KEYS = {"notify", "on_revision", "max_age_hours"}


class SavedQueryError(DataFileError):
    """The saved-queries file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class StoryFilters:
    """The filters of one saved query, all optional and combined with AND; each list matches
    when any of its values does."""

    countries: tuple[str, ...] = ()
    primary_country: tuple[str, ...] = ()
    in_region: bool | None = None
    agencies: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    # Lower-cased NFC text, matched in title, summary or body.
    keywords: tuple[str, ...] = ()
    min_outlets: int = 1
    where: str | None = None


@dataclass(frozen=True)
class AlertRule:
    """Who hears about a new story of the query: apprise URLs (json://, tgram://, mailto://...)."""

    notify: tuple[str, ...]
    # Alert again when a story gets a new revision (a correction, a wire update).
    on_revision: bool = False
    # None: stories of any age are alerted on.
    max_age_hours: float | None = DEFAULT_ALERT_MAX_AGE_HOURS

    def targets(self) -> tuple[list[str], list[str]]:
        """The notify URLs with ${VAR} filled in, and the names of unset variables (a rule
        with an unset variable is skipped, not sent to a half-filled URL)."""
        urls, missing = [], []
        for url in self.notify:
            names = [m.group(1) for m in ENV_REFERENCE.finditer(url)]
            unset = [n for n in names if not os.environ.get(n)]
            if unset:
                missing.extend(unset)
                continue
            urls.append(ENV_REFERENCE.sub(lambda m: os.environ[m.group(1)], url))
        return urls, missing

    def due(self, stories: Sequence[Any], already: dict[str, Any], now: datetime) -> tuple[list, list]:
        """Of the query's stories, those to alert on (oldest first) and those too old to
        (recorded as handled, never sent). ``already``: story id -> what was recorded (with
        its ``revision``). A story is alerted once; again on a new revision only when the
        rule says ``on_revision``."""
        send, too_old = [], []
        oldest = None if self.max_age_hours is None else now - timedelta(hours=self.max_age_hours)
        for story in sorted(stories, key=lambda s: (s.first_seen_at, s.story_id)):
            known = already.get(story.story_id)
            if known is not None and (not self.on_revision or story.revision <= known.revision):
                continue
            # A new story's age is its publication's; a new revision's, the revision's.
            when = story.updated_at if known is not None else story.published_at
            (send if oldest is None or when >= oldest else too_old).append(story)
        return send, too_old


@dataclass(frozen=True)
class SavedQuery:
    name: str
    title: str
    filters: StoryFilters
    limit: int = DEFAULT_LIMIT
    alert: AlertRule | None = None


@dataclass(frozen=True)
class OutputsConfig:
    """The whole file: where the outputs are served, and the queries in file order."""

    path: Path
    base_url: str
    queries: list[SavedQuery] = field(default_factory=list)


def load_outputs(path: Path) -> OutputsConfig:
    """Read and check the saved-queries file; the first problem raises SavedQueryError."""
    path = Path(path)
    try:
        data = load_data_file(path, "saved queries")
    except SavedQueryError:
        raise
    except DataFileError as error:
        raise SavedQueryError(str(error)) from error
    unknown = sorted(set(data) - {"base_url", "query"})
    if unknown:
        raise SavedQueryError(f"{path}: unknown top-level key(s) {unknown} (known: base_url, [[query]])")
    base_url = data.get("base_url", DEFAULT_BASE_URL)
    if not isinstance(base_url, str) or not re.match(r"^https?://[^/\s]+", base_url):
        raise SavedQueryError(f"{path}: base_url must be an http(s) URL, not {base_url!r}")
    entries = data.get("query", [])
    if not isinstance(entries, list):
        raise SavedQueryError(f"{path}: query must be an array of tables ([[query]])")
    queries: list[SavedQuery] = []
    for number, entry in enumerate(entries, start=1):
        query = _query(path, number, entry)
        if any(q.name == query.name for q in queries):
            raise SavedQueryError(f"{path}: query {number} ({query.name!r}): the name is used twice")
        queries.append(query)
    return OutputsConfig(path=path, base_url=base_url.rstrip("/"), queries=queries)


def _query(path: Path, number: int, entry: Any) -> SavedQuery:
    where = f"{path}: query {number}"
    if not isinstance(entry, dict):
        raise SavedQueryError(f"{where}: expected a table, got {entry!r}")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise SavedQueryError(
            f"{where}: name must be lower-case letters, digits and dashes (it names the output files), "
            f"not {name!r}"
        )
    where = f"{path}: query {number} ({name!r})"
    unknown = sorted(set(entry) - QUERY_KEYS)
    if unknown:
        raise SavedQueryError(f"{where}: unknown key(s) {unknown} (known: {sorted(QUERY_KEYS)})")
    lists = {key: _strings(where, key, entry.get(key, [])) for key in LIST_FILTERS}
    for key in ("countries", "primary_country"):
        lists[key] = tuple(code.upper() for code in lists[key])
        bad = [code for code in lists[key] if not COUNTRY_PATTERN.match(code)]
        if bad:
            raise SavedQueryError(f"{where}: {key}: {bad} are not ISO 3166-1 alpha-2 codes (KZ, UZ, ...)")
    lists["languages"] = tuple(code.lower() for code in lists["languages"])
    bad = [code for code in lists["languages"] if not LANGUAGE_PATTERN.match(code)]
    if bad:
        raise SavedQueryError(f"{where}: languages: {bad} are not ISO 639 codes (en, ru, ...)")
    lists["keywords"] = tuple(unicodedata.normalize("NFC", k).strip().lower() for k in lists["keywords"])
    if any(not k for k in lists["keywords"]):
        raise SavedQueryError(f"{where}: keywords: an empty keyword would match every story")
    in_region = entry.get("in_region")
    if in_region is not None and not isinstance(in_region, bool):
        raise SavedQueryError(f"{where}: in_region must be true or false, not {in_region!r}")
    min_outlets = _positive_int(where, "min_outlets", entry.get("min_outlets", 1))
    limit = _positive_int(where, "limit", entry.get("limit", DEFAULT_LIMIT))
    sql_where = entry.get("where")
    if sql_where is not None and (not isinstance(sql_where, str) or not sql_where.strip()):
        raise SavedQueryError(f"{where}: where must be a non-empty SQL condition, not {sql_where!r}")
    if sql_where is not None and ";" in sql_where:
        raise SavedQueryError(f"{where}: where must be one condition over the stories view, without ';'")
    title = entry.get("title", name)
    if not isinstance(title, str) or not title.strip():
        raise SavedQueryError(f"{where}: title must be a non-empty string")
    filters = StoryFilters(
        **lists, in_region=in_region, min_outlets=min_outlets, where=sql_where and sql_where.strip()
    )
    return SavedQuery(
        name=name, title=title.strip(), filters=filters, limit=limit, alert=_alert(where, entry.get("alert"))
    )


def _alert(where: str, alert: Any) -> AlertRule | None:
    if alert is None:
        return None
    if not isinstance(alert, dict):
        raise SavedQueryError(f"{where}: alert must be a table ([query.alert])")
    unknown = sorted(set(alert) - ALERT_KEYS)
    if unknown:
        raise SavedQueryError(f"{where}: alert: unknown key(s) {unknown} (known: {sorted(ALERT_KEYS)})")
    notify = _strings(f"{where}: alert", "notify", alert.get("notify", []))
    if not notify:
        raise SavedQueryError(f"{where}: alert: notify needs at least one apprise URL (json://host/path)")
    # A URL that is only a ${VAR} is checked once it is filled in (AlertRule.targets).
    bad = [url for url in notify if "://" not in url and not ENV_REFERENCE.fullmatch(url)]
    if bad:
        raise SavedQueryError(f"{where}: alert: notify: {bad} are not apprise URLs (scheme://...)")
    on_revision = alert.get("on_revision", False)
    if not isinstance(on_revision, bool):
        raise SavedQueryError(f"{where}: alert: on_revision must be true or false")
    max_age = alert.get("max_age_hours", DEFAULT_ALERT_MAX_AGE_HOURS)
    if isinstance(max_age, bool) or not isinstance(max_age, int | float) or max_age < 0:
        raise SavedQueryError(f"{where}: alert: max_age_hours must be 0 (no limit) or more, not {max_age!r}")
    return AlertRule(notify=notify, on_revision=on_revision, max_age_hours=float(max_age) or None)


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SavedQueryError(f"{where}: {key} must be a list of strings, not {value!r}")
    return tuple(value)


def _positive_int(where: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SavedQueryError(f"{where}: {key} must be a whole number of at least 1, not {value!r}")
    return value
