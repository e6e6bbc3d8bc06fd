"""Backfill parameters, validated together before any work (and before Prefect starts, when
called from the CLI): end before start, an unknown feed id, tag or source, budgets out of
range are refused with a message saying what to change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from newswire.tasks.catalog import CatalogError, Feed, select_feeds

Source = Literal["archive", "pages", "sitemap"]
# Budgets: a page walk of 50 pages x ~20 items reaches back about 1,000 items per feed,
# months for most outlets; raise it for a deep archive. 5,000 items keep one backfill
# commit to a few MB of Parquet and a minute of dedupe on 2 cores.
DEFAULT_MAX_PAGES = 50
# A week: what a desk usually wants re-done after a normaliser fix or an outage.
DEFAULT_DAYS = 7
DEFAULT_MAX_ITEMS = 5_000


class BackfillRequest(BaseModel):
    """A backfill's parameters, checked together (Prefect checks each one's type)."""

    start: date
    end: date
    source: Source = "pages"
    feed_ids: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    max_pages: int = Field(DEFAULT_MAX_PAGES, ge=1, le=10_000)
    max_items: int = Field(DEFAULT_MAX_ITEMS, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _range(self) -> BackfillRequest:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start}): swap them")
        if self.start > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError(f"start ({self.start}) is in the future: nothing can be backfilled yet")
        return self


class BackfillRefused(ValueError):
    """The parameters are wrong; nothing was done."""


def validate_request(catalog: list[Feed], **parameters: Any) -> tuple[BackfillRequest, list[Feed]]:
    try:
        request = BackfillRequest(**{k: v for k, v in parameters.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'parameters'}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
        raise BackfillRefused(f"backfill refused, nothing was done: {problems}") from None
    try:
        feeds = select_feeds(catalog, request.feed_ids or None, request.tags or None)
    except CatalogError as error:
        raise BackfillRefused(f"backfill refused, nothing was done: {error}") from None
    if not feeds:
        raise BackfillRefused(f"backfill refused: no feed has any of the tags {request.tags}")
    return request, feeds
