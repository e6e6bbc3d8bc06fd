"""``newswire migrate``, ``export`` and ``prune``: keeping a warehouse for years.

A warehouse of another schema version is refused by every other command with a message
naming both versions; ``migrate`` upgrades an older one in place (warehouse/migrations.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from cli.options import DataDirOption, settings_for
from cli.output import console, fail
from warehouse.versions import SchemaVersionError


def refuse_other_schema_versions(command: Callable) -> Callable:
    """Wrap a command so a warehouse of another schema version is a clear refusal (exit
    code 2), not a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SchemaVersionError as error:
            fail(str(error))

    return run


def migrate(data_dir: DataDirOption = None) -> None:
    """Upgrade the warehouse to this newswire's schema version (forward steps, each
    committed with its version bump: a killed migration is finished by running it again)."""
    from warehouse.writer import Warehouse

    warehouse = Warehouse(settings_for(data_dir).data_dir)

    def show(step) -> None:
        console.print(f"  step to version {step.to_version}: {step.name}")

    report = warehouse.migrate(on_step=show)
    if report.steps:
        console.print(
            f"migrated {warehouse.data_dir} from schema version {report.from_version} "
            f"to {report.to_version} ({len(report.steps)} step(s))"
        )
    else:
        console.print(f"{warehouse.data_dir} is at schema version {report.to_version}; nothing to migrate")
