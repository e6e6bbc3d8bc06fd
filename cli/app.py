"""The ``newswire`` command line: start flows, query the lake, inspect feeds.

One module per command group, each command a plain function registered here. Prefect is
imported only inside the commands that run flows: ``newswire sql`` and ``newswire feeds
list`` answer in well under a second and never start a Prefect server.
"""

from __future__ import annotations

from typing import Annotated

import typer

from newswire.cli import config, desk, enrich, feeds, ingest, lifecycle, operate, query, server

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Poll news feeds into a queryable story history."
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"newswire {version('newswire')}")
        except PackageNotFoundError:
            typer.echo("newswire (not installed: running from a checkout)")
        raise typer.Exit()


@app.callback()
def main(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Poll news feeds into a queryable story history."""
feeds_app = typer.Typer(no_args_is_help=True, help="The feed catalogue.")
app.add_typer(feeds_app, name="feeds")
server_app = typer.Typer(no_args_is_help=True, help="The background Prefect server flows run against.")
app.add_typer(server_app, name="server")

app.command("config")(config.config)
app.command("enrich")(enrich.enrich_command)
app.command("ingest")(ingest.ingest)
app.command("demo")(ingest.demo)
# A -- comment may start the SQL (the README's blocks do): not an unknown option.
app.command("sql", context_settings={"ignore_unknown_options": True})(query.sql)
app.command("stats")(query.stats)
app.command("dedupe")(query.dedupe)
app.command("links")(query.links)
app.command("backfill")(operate.backfill)
app.command("maintain")(operate.maintain)
app.command("serve")(operate.serve)
app.command("outputs")(desk.outputs)
feeds_app.command("list")(feeds.feeds_list)
feeds_app.command("check")(feeds.feeds_check)
feeds_app.command("health")(feeds.feeds_health)
server_app.command("status")(server.server_status)
server_app.command("stop")(server.server_stop)

app.command("migrate")(lifecycle.migrate)
app.command("export")(lifecycle.export)
app.command("prune")(lifecycle.prune)

# Every command refuses a warehouse of another schema version with one clear message.
for command in [*app.registered_commands, *feeds_app.registered_commands]:
    command.callback = lifecycle.refuse_other_schema_versions(command.callback)

if __name__ == "__main__":
    app()
