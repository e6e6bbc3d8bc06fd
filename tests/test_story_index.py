"""The persisted LSH index in a real DuckDB state file: candidates come back with their
profiles, components come back whole with their stories' state, a key shared by too many
appearances is ignored, and a merge points exact keys at the surviving story."""

from __future__ import annotations

from datetime import UTC, datetime

from newswire.warehouse import story_index
from newswire.warehouse.writer import CommitBatch, Warehouse

SEEN = datetime(2025, 10, 9, tzinfo=UTC)


def _member(n: int, component: int, story_id: str) -> dict:
    return {
        "appearance_id": f"a{n}",
        "component": component,
        "story_id": story_id,
        "fresh_story_id": f"s{n}",
        "feed_id": "f",
        "entry_id": f"e{n}",
        "published_at": SEEN,
        "update_level": 0,
        "exact_keys": [f"url:https://o.example/{n}"],
        "signature": b"\x01" * 512,
        "shingle_count": 40,
        "title": f"story {n}",
        "numbers": ["45"],
        "sentences": [7, 9],
        "wire_agency": None,
        "wire_original": False,
    }


def test_candidates_members_and_hot_keys(data_dir, monkeypatch):
    warehouse = Warehouse(data_dir)
    batch = CommitBatch(run_id="r1", flow="test", started_at=datetime.now(UTC))
    # a0, a1 in component 1 (stories s0, s1); a2..a5 each alone.
    batch.cluster_members = {
        f"a{n}": _member(n, 1 if n < 2 else 10 + n, f"s{min(n, 1) if n < 2 else n}") for n in range(6)
    }
    batch.story_state = {"s1": (2, "a1", SEEN)}
    # key 10 -> a1 only; key 20 -> all six (a "hot" key)
    batch.cluster_bands = [(10, "a1")] + [(20, f"a{n}") for n in range(6)]
    batch.story_keys = [("url:https://o.example/0", "s0")]
    with warehouse.writer():
        warehouse.commit(batch)
        monkeypatch.setattr(story_index, "MAX_STORIES_PER_KEY", 5)
        hits = warehouse.cluster_candidates([10, 20, 30])
        members = warehouse.cluster_members([1], ["s5"])
        merge = CommitBatch(run_id="r2", flow="test", started_at=datetime.now(UTC))
        merge.story_redirects = {"s0": "s1"}
        warehouse.commit(merge)
        story_ids = warehouse.read_history([], ["url:https://o.example/0"]).story_ids_by_key
    assert [h["appearance_id"] for h in hits] == ["a1"]
    assert hits[0]["title"] == "story 1" and hits[0]["sentences"] == [7, 9]
    by_id = {m["appearance_id"]: m for m in members}
    assert sorted(by_id) == ["a0", "a1", "a5"]
    assert by_id["a1"]["story_revision"] == 2 and by_id["a1"]["story_first_seen"] == SEEN
    assert by_id["a0"]["story_revision"] is None
    assert story_ids == {"url:https://o.example/0": "s1"}


def test_band_rows_as_arrays_are_the_rows_as_pairs():
    """A batch's band keys travel as arrays (BandRows); the index gets the same rows as
    from (key, appearance_id) pairs."""
    import numpy as np

    from newswire.warehouse.records import BandRows

    pairs = [(10, "a1"), (20, "a0"), (30, "a1"), (20, "a2")]
    rows = BandRows(np.array([10, 20, 30, 20]), np.array([1, 0, 1, 2], dtype=np.int32), ["a0", "a1", "a2"])
    assert len(rows) == 4
    assert story_index.bands_table(rows).to_pylist() == story_index.bands_table(pairs).to_pylist()
    assert story_index.bands_table(rows).column("appearance_key").to_pylist()[
        0
    ] == story_index.appearance_key("a1")
