"""The persisted LSH index in a real DuckDB state file: candidates come back with their
profiles and state, and a key shared by too many stories is ignored."""

from __future__ import annotations

from datetime import UTC, datetime

from warehouse import story_index
from warehouse.writer import CommitBatch, Warehouse


def _profile(title: str) -> tuple:
    return (b"\x01" * 512, 40, title, ["45"], [7, 9], None, False)


def test_lookup_returns_candidates_with_profiles_and_drops_hot_keys(data_dir, monkeypatch):
    warehouse = Warehouse(data_dir)
    batch = CommitBatch(run_id="r1", flow="test", started_at=datetime.now(UTC))
    batch.story_profiles = {f"s{n}": _profile(f"story {n}") for n in range(6)}
    batch.story_state = {"s1": (2, "a1", datetime(2025, 10, 9, tzinfo=UTC))}
    # key 10 -> s1 only; key 20 -> all six stories (a "hot" key)
    batch.story_bands = [(10, "s1")] + [(20, f"s{n}") for n in range(6)]
    with warehouse.writer():
        warehouse.commit(batch)
        monkeypatch.setattr(story_index, "MAX_STORIES_PER_KEY", 5)
        hits, profiles, states = warehouse.story_candidates([10, 20, 30])
    assert hits == [(10, "s1")]
    assert profiles == {"s1": _profile("story 1")}
    assert states == {"s1": (2, "a1", datetime(2025, 10, 9, tzinfo=UTC))}
