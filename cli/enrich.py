"""``newswire enrich``: what the enrichment stage makes of one page or text, and how it
scores on a labelled set — for a desk editing feeds/agencies.toml, feeds/boilerplate.toml
or a region gazetteer, before the next scheduled run uses the change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.options import settings_for
from cli.output import console, errors, fail
from tasks.datafiles import DataFileError


def enrich_command(
    path: Annotated[
        Path | None,
        typer.Argument(help="An article page (.html) or plain text file to enrich.", show_default=False),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="The headline (default: the page's own).")] = "",
    language: Annotated[str | None, typer.Option("--language", help="Declared language, e.g. ru.")] = None,
    region: Annotated[
        Path | None,
        typer.Option("--region", help="Region gazetteer (default: the desk's, see feeds/desk.toml)."),
    ] = None,
    score: Annotated[
        Path | None,
        typer.Option("--score", help="Score a labelled set directory (tests/fixtures/enrich/labelled)."),
    ] = None,
) -> None:
    """Enrich one page or text file and print the clean text and columns; or score a labelled set."""
    from tasks.evaluation import load_labelled

    if (path is None) == (score is None):
        fail("give a FILE to enrich, or --score DIR (not both)")
    try:
        desk = settings_for(None).desk
        rules = (replace(desk, region=region) if region else desk).enrichment_rules()
        labelled = load_labelled(score) if score is not None else []
    except DataFileError as error:
        fail(str(error))
    if score is not None:
        _print_scores(score, labelled, rules)
    else:
        _print_enriched(path, title, language, rules)


def _print_scores(directory: Path, labelled: list, rules) -> None:
    """Precision and recall of the enrichment on a labelled set, and each miss."""
    from tasks.evaluation import score_labelled

    scores = score_labelled(labelled, rules)
    table = Table(title=f"{scores.items} labelled items in {directory}")
    for column in ("measure", "precision", "recall", "counts"):
        table.add_column(column)
    for row in scores.table():
        table.add_row(*row)
    console.print(table)
    for mistake in scores.mistakes:
        console.print(f"  miss: {mistake}")


def _print_enriched(path: Path, title: str, language: str | None, rules) -> None:
    """One page (HTML, through trafilatura) or text file enriched: every column, then the text."""
    from tasks.enrich import draft_entry, enrich_entry
    from tasks.extract import extract_article

    try:
        raw = path.read_bytes()
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")
    page = None
    if raw.lstrip()[:1] == b"<":
        page = extract_article(raw, {}, path.resolve().as_uri())
        if page.error:
            errors.print(f"[yellow]warning:[/] {path}: {page.error}")
        entry = draft_entry(title or page.title or path.stem, language=language or page.language)
        entry.body = page.text
    else:
        entry = draft_entry(title or path.stem, body=raw.decode("utf-8", "replace"), language=language)
    enrich_entry(entry, rules, None, None)
    table = Table(show_header=False)
    table.add_row("title", entry.title)
    table.add_row("language", str(entry.language))
    if page is not None:
        table.add_row("canonical_url", str(page.canonical_url))
        table.add_row("site_name / author / date", f"{page.site_name} / {page.author} / {page.date}")
    for name, value in entry.enrichment.items():
        table.add_row(name, str(value))
    table.add_row("content_hash / words", f"{entry.content_hash} / {entry.word_count}")
    console.print(table)
    console.print("\n[bold]Clean text[/]\n")
    console.print(entry.body or entry.summary, markup=False, highlight=False)
