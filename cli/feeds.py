"""``newswire feeds list | check | health``: the catalogue, a dry fetch of it, and how the
feeds have been doing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from newswire.cli.exit_codes import EXIT_SOME_FEEDS_FAILED
from newswire.cli.options import CatalogOption, DataDirOption, reader_settings, settings_for
from newswire.cli.output import console, fail
from newswire.tasks.catalog import CatalogError, Feed, load_catalog, select_feeds
from newswire.tasks.settings import Settings


def _feeds(catalog, settings: Settings, feed_ids: list[str] | None, tags: list[str] | None) -> list[Feed]:
    try:
        return select_feeds(load_catalog(catalog or settings.desk.catalog), feed_ids, tags)
    except CatalogError as error:
        fail(str(error))


def feeds_list(
    catalog: CatalogOption = None,
    tag: Annotated[list[str] | None, typer.Option("--tag")] = None,
) -> None:
    """The feeds in a catalogue."""
    feeds = _feeds(catalog, settings_for(None), None, tag)
    table = Table(title=f"{len(feeds)} feeds")
    for column in ("id", "name", "kind", "lang", "country", "tags", "url"):
        table.add_column(column, overflow="fold")
    for feed in feeds:
        table.add_row(
            feed.id, feed.name, feed.kind, feed.language, feed.country, ", ".join(feed.tags), feed.url
        )
    console.print(table)


def feeds_check(
    catalog: CatalogOption = None,
    feed: Annotated[list[str] | None, typer.Option("--feed")] = None,
) -> None:
    """Fetch and parse each feed once (nothing is stored): is the URL alive and a feed?"""
    from newswire.tasks.fetch import FetchRequest, fetch_feeds
    from newswire.tasks.parse import parse_document

    settings = settings_for(None)
    feeds = _feeds(catalog, settings, feed, None)
    drops, feeds = [f for f in feeds if f.path], [f for f in feeds if not f.path]
    requests = [FetchRequest(f.id, f.url, allow_private_network=f.allow_private_network) for f in feeds]
    with console.status(f"Fetching {len(requests)} feeds..."):
        results = fetch_feeds(requests, settings.fetch)
    table = Table(title="Feed check")
    for column in ("id", "status", "format", "entries", "problem"):
        table.add_column(column, overflow="fold")
    broken = 0
    for f, result in zip(feeds, results, strict=True):
        document = None
        if result.body is not None:
            document = parse_document(
                result.body,
                result.headers,
                result.final_url or f.url,
                settings.fetch.max_body_bytes,
                f.format,
                settings.max_entries_per_feed,
            )
        problem = result.error or (document.error if document else None)
        if result.permanent_redirect_url and not problem:
            problem = f"moved permanently to {result.permanent_redirect_url}: update the catalogue"
        broken += bool(result.error or (document and document.error))
        table.add_row(
            f.id,
            str(result.status or result.error_kind),
            document.format if document else "",
            str(len(document.entries)) if document else "",
            problem or "",
            style="red" if problem else None,
        )
    broken += _check_drops(drops, settings, table)
    console.print(table)
    if broken:
        raise typer.Exit(code=EXIT_SOME_FEEDS_FAILED)


def _check_drops(drops: list[Feed], settings: Settings, table: Table) -> int:
    """Drop directories in ``feeds check``: read and parse every settled file (as if none
    had been picked up before); nothing is stored. Returns the number of broken ones."""
    from newswire.tasks.drop import pick_up_drop

    broken = 0
    for f in drops:
        pickup = pick_up_drop(f, {}, settings)
        problem = pickup.result.error or pickup.parse_error
        broken += bool(problem)
        formats = sorted({d.document.format for d in pickup.files if d.document})
        table.add_row(
            f.id,
            pickup.result.error_kind or f"{len(pickup.files)} files",
            ", ".join(formats),
            str(len(pickup.entries)),
            problem or "",
            style="red" if problem else None,
        )
    return broken


def feeds_health(
    show_all: Annotated[bool, typer.Option("--all", help="Healthy feeds too.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Failing and dormant feeds with their last error (dormant feeds are still retried)."""
    from newswire.warehouse.queries import feed_health

    rows = feed_health(reader_settings(data_dir).data_dir, include_active=show_all)
    if not rows:
        console.print("All feeds are healthy (or nothing was polled yet).")
        return
    unhealthy = [row for row in rows if row["health"] in ("failing", "dormant")]
    table = Table(title="Feed health (dormant feeds are still retried daily)")
    columns = ("feed_id", "health", "failures", "error_kind", "last_error", "last_success_at")
    for column in (*columns, "next_poll_at", "moved_to"):
        table.add_column(column, overflow="fold", ratio=3 if column == "last_error" else 1)
    for row in rows:
        style = {"dormant": "red", "failing": "yellow"}.get(row["health"])
        table.add_row(*[_minute(row[c]) for c in (*columns, "next_poll_at", "moved_to")], style=style)
    console.print(table)
    if unhealthy:
        raise typer.Exit(code=EXIT_SOME_FEEDS_FAILED)


def _minute(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)
