"""``newswire enrich``: what the enrichment stage makes of one page or text, and how it
scores on a labelled set — for a desk editing feeds/agencies.toml, feeds/boilerplate.toml
or a region gazetteer, before the next scheduled run uses the change."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newswire.cli.options import settings_for
from newswire.cli.output import console, errors, fail
from newswire.tasks.datafiles import DataFileError


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
        typer.Option(
            "--score",
            help="Score a labelled directory: a hand-written set (tests/fixtures/enrich/labelled) or "
            "the real-page corpus or one of its parts (tests/fixtures/real/enrich, or its dev/ part).",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    mistakes: Annotated[
        bool,
        typer.Option(
            "--mistakes",
            help="With --score on the real corpus: list every miss per item (not of a held-out part).",
        ),
    ] = False,
) -> None:
    """Enrich one page or text file and print the clean text and columns; or score a labelled set."""
    if (path is None) == (score is None):
        fail("give a FILE to enrich, or --score DIR (not both)")
    if output not in ("table", "json"):
        fail(f"--format {output!r}: use table or json")
    try:
        desk = settings_for(None).desk
        rules = (replace(desk, region=region) if region else desk).enrichment_rules()
        if score is not None:
            _score(score, rules, output, mistakes)
            return
    except DataFileError as error:
        fail(str(error))
    _enrich_file(path, title, language, rules, output)


def _score(directory: Path, rules, output: str, mistakes: bool) -> None:
    """Score a hand-written set or the real corpus (detected by its labels-*.toml files)."""
    from newswire.tasks.evaluation import (
        is_held_out,
        load_labelled,
        load_real_part,
        real_parts,
        score_labelled,
        score_real,
    )

    parts = real_parts(directory)
    if not parts:
        scores = score_labelled(load_labelled(directory), rules)
        if output == "json":
            rows = {
                measure: {"precision": p, "recall": r, "counts": c} for measure, p, r, c in scores.table()
            }
            print(
                json.dumps({"items": scores.items, "measures": rows, "mistakes": scores.mistakes}, indent=2)
            )
            return
        table = Table(title=f"{scores.items} labelled items in {directory}")
        for column in ("measure", "precision", "recall", "counts"):
            table.add_column(column)
        for row in scores.table():
            table.add_row(*row)
        console.print(table)
        for mistake in scores.mistakes:
            console.print(f"  miss: {mistake}", markup=False, highlight=False)
        return
    results = [score_real(load_real_part(part), rules, part.name) for part in parts]
    # A held-out part is read as aggregates only: its misses, once read, would be tuned on.
    listed = {r.part for r in results if mistakes and not is_held_out(r.part)}
    if output == "json":
        document = {
            r.part: {
                **r.measures(),
                **({"mistakes": r.mistakes} if r.part in listed else {}),
                **({"mistakes_withheld": len(r.mistakes)} if mistakes and r.part not in listed else {}),
            }
            for r in results
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"real-page corpus {directory}")
    table.add_column("measure")
    for result in results:
        table.add_column(f"{result.part} ({result.items})")
        table.add_column("counts")
    rows = [result.table() for result in results]
    for index, (measure, *_rest) in enumerate(rows[0]):
        table.add_row(measure, *[cell for result_rows in rows for cell in result_rows[index][1:]])
    console.print(table)
    if mistakes:
        for result in results:
            if result.part not in listed:
                console.print(
                    f"  {result.part}: {len(result.mistakes)} misses not listed (a held-out part is "
                    "scored as aggregates only)",
                    markup=False,
                    highlight=False,
                )
                continue
            for mistake in result.mistakes:
                console.print(f"  {result.part} miss: {mistake}", markup=False, highlight=False)


def _enrich_file(path: Path, title: str, language: str | None, rules, output: str) -> None:
    from newswire.tasks.enrich import draft_entry, enrich_entry
    from newswire.tasks.extract import extract_article

    try:
        raw = path.read_bytes()
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")
    page = None
    url = None
    if raw.lstrip()[:1] == b"<":
        page = extract_article(raw, {}, path.resolve().as_uri())
        if page.error:
            errors.print(f"[yellow]warning:[/] {path}: {page.error}")
        entry = draft_entry(title or page.title or path.stem, language=language or page.language)
        entry.body = page.text
    else:
        text = raw.decode("utf-8", "replace")
        # A real-corpus item (or any saved page text) may carry its source URL on line 1.
        first, _, rest = text.partition("\n")
        if first.strip().startswith(("http://", "https://")) and " " not in first.strip():
            url, text = first.strip(), rest
        entry = draft_entry(title or path.stem, body=text, language=language)
        entry.url = url
    enrich_entry(entry, rules, None, None)
    if output == "json":
        document = {
            "title": entry.title,
            "url": entry.url,
            "language": entry.language,
            "canonical_url": page.canonical_url if page is not None else entry.canonical_url,
            **(
                {"site_name": page.site_name, "author": page.author, "date": page.date}
                if page is not None
                else {}
            ),
            **entry.enrichment,
            "content_hash": entry.content_hash,
            "word_count": entry.word_count,
            "text": entry.body or entry.summary,
        }
        print(json.dumps(document, indent=2, ensure_ascii=False, default=str))
        return
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
