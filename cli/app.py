"""The ``newswire`` command line: start flows, query the lake, inspect feeds.

One module per command group, each command a plain function registered here. Prefect is
imported only inside the commands that run flows: ``newswire sql`` and ``newswire feeds
list`` answer in well under a second and never start a Prefect server.
"""

from __future__ import annotations

import typer

from cli import desk, enrich, feeds, ingest, operate, query

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Poll news feeds into a queryable story history."
)
feeds_app = typer.Typer(no_args_is_help=True, help="The feed catalogue.")
app.add_typer(feeds_app, name="feeds")

app.command("enrich")(enrich.enrich_command)
app.command("ingest")(ingest.ingest)
app.command("demo")(ingest.demo)
app.command("sql")(query.sql)
app.command("stats")(query.stats)
app.command("dedupe")(query.dedupe)
app.command("backfill")(operate.backfill)
app.command("maintain")(operate.maintain)
app.command("serve")(operate.serve)
app.command("outputs")(desk.outputs)
feeds_app.command("list")(feeds.feeds_list)
feeds_app.command("check")(feeds.feeds_check)
feeds_app.command("health")(feeds.feeds_health)

if __name__ == "__main__":
    app()
