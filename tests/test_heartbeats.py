"""Heartbeats: off for a flow called in this process, kept when the operator set them or a
flow run is already going (flows/runtime/heartbeats.py, docs/decisions.md)."""

from __future__ import annotations

from prefect.settings import get_current_settings

from newswire.flows.runtime.heartbeats import in_process_flow


@in_process_flow(name="heartbeat-probe")
def probe() -> int | None:
    return get_current_settings().flows.heartbeat_frequency


@in_process_flow(name="heartbeat-parent")
def parent() -> tuple[int | None, int | None]:
    return get_current_settings().flows.heartbeat_frequency, probe()


def test_a_direct_call_runs_without_heartbeats(prefect_server, monkeypatch):
    monkeypatch.delenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", raising=False)
    monkeypatch.delenv("PREFECT_RUNNER_HEARTBEAT_FREQUENCY", raising=False)
    assert probe() is None
    # Outside the run the process's settings are as they were.
    assert get_current_settings().flows.heartbeat_frequency == 180


def test_the_operators_frequency_is_kept(prefect_server, monkeypatch):
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}):
        assert probe() == 60


def test_a_subflow_keeps_its_parents_choice(prefect_server):
    assert parent() == (None, None)


def test_the_flows_are_in_process_flows():
    from newswire.flows.backfill import backfill
    from newswire.flows.ingest import ingest
    from newswire.flows.maintain import maintain

    assert {type(f).__name__ for f in (ingest, backfill, maintain)} == {"InProcessFlow"}
