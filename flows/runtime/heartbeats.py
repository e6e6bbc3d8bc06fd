"""Prefect's flow-run heartbeats: kept for a deployment's run, off for a flow called in
this process.

A heartbeat tells the server that a run's process is alive, so an automation can mark a
run Crashed when they stop. A worker or ``serve`` runs a deployment's flow through
Prefect's engine, never through ``Flow.__call__``: those runs keep them. A flow called
in a process (the CLI, a script, the tests, the benchmark) is watched by that process;
its heartbeats only cost the run the join of Prefect's heartbeat thread at its end (up
to 1 s: it sleeps in 1 s steps), a third of an unchanged re-poll (docs/decisions.md).
An operator who set the frequency (environment or Prefect profile) keeps it, and a call
inside another flow run leaves that run's choice alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from prefect import Flow
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

# Prefect's names for the setting (the second is its legacy alias).
OPERATOR_SETTINGS = ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")


def heartbeats_wanted() -> bool:
    """Keep heartbeats when the operator chose a frequency or a flow run is already going."""
    if any(name in os.environ for name in OPERATOR_SETTINGS) or FlowRunContext.get() is not None:
        return True
    flows = get_current_settings().flows
    return flows.heartbeat_frequency != type(flows).model_fields["heartbeat_frequency"].default


class InProcessFlow(Flow):
    """A Prefect flow whose direct calls run without heartbeats (module docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if heartbeats_wanted():
            return super().__call__(*args, **kwargs)
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            return super().__call__(*args, **kwargs)


def in_process_flow(**options: Any) -> Callable[[Callable[..., Any]], InProcessFlow]:
    """``@flow(**options)`` giving an ``InProcessFlow``."""
    return lambda fn: InProcessFlow(fn, **options)
