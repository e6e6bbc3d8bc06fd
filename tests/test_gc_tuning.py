"""The run's collector settings: the long-lived objects frozen once, thresholds restored."""

from __future__ import annotations

import gc

from newswire.flows.runtime import gc_tuning


def test_a_run_raises_the_young_threshold_and_restores_it(monkeypatch):
    monkeypatch.setattr(gc_tuning, "_frozen", False)
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with gc_tuning.run_collections():
        assert gc.get_threshold()[0] == max(before[0], gc_tuning.RUN_GEN0_THRESHOLD)
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() >= frozen_before
        with gc_tuning.run_collections():  # a CPU task inside the flow's run
            pass
        assert gc.get_threshold()[0] == max(before[0], gc_tuning.RUN_GEN0_THRESHOLD)
    assert gc.get_threshold() == before
    gc.unfreeze()  # (the test process keeps collecting as before)


def test_freezing_happens_once_per_process(monkeypatch):
    calls = []
    monkeypatch.setattr(gc_tuning, "_frozen", False)
    monkeypatch.setattr(gc_tuning.gc, "freeze", lambda: calls.append(1))
    gc_tuning.freeze_long_lived()
    gc_tuning.freeze_long_lived()
    assert calls == [1]
