"""The link index's candidate ranking (warehouse/story_links.py) against the SQL join it
replaced, which stays here as the reference: the same stored stories, in the same order,
for batches with keys held by too many stories, stories of unknown day, batch stories of
unknown day, a batch story that is stored already, and ties at the candidate limit."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from newswire.warehouse import story_links
from newswire.warehouse.story_links import PROFILE_COLUMNS, UNKNOWN_DAY, KeyLookup, LinkIndex


def _reference(index: LinkIndex, lookups: list[KeyLookup]) -> list[str]:
    """The join of the batch's keys against ``link_keys``, one row per (batch story,
    stored story, key), grouped and ranked in SQL (the index's query before numpy)."""
    rows = [(lk.story_id, key, lk.first_day, lk.last_day) for lk in lookups for key in lk.keys]
    if not rows:
        return []
    batch = pa.table(
        {
            "batch_id": [r[0] for r in rows],
            "key": [r[1] for r in rows],
            "lo": pa.array([r[2] for r in rows], pa.int32()),
            "hi": pa.array([r[3] for r in rows], pa.int32()),
        }
    )
    dated = [lk for lk in lookups if lk.first_day is not None]
    lo = min((lk.first_day for lk in dated), default=0)
    hi = max((lk.last_day for lk in dated), default=0)
    index.con.register("batch_keys", batch)
    try:
        result = index.con.execute(
            f"""
            WITH hits AS (
                SELECT b.batch_id, k.key, k.story_id
                FROM (SELECT * FROM link_keys WHERE day BETWEEN ? AND ?) AS k
                JOIN batch_keys AS b ON k.key = b.key AND k.day BETWEEN b.lo AND b.hi
                UNION ALL
                SELECT b.batch_id, k.key, k.story_id
                FROM (SELECT * FROM link_keys WHERE day = {UNKNOWN_DAY}) AS k
                JOIN batch_keys AS b ON k.key = b.key
                UNION ALL
                SELECT b.batch_id, k.key, k.story_id
                FROM link_keys AS k JOIN batch_keys AS b ON k.key = b.key
                WHERE b.lo IS NULL AND k.day <> {UNKNOWN_DAY}
            ),
            common AS (
                SELECT batch_id, key FROM hits GROUP BY batch_id, key
                HAVING count(*) > {story_links.MAX_STORIES_PER_KEY}
            ),
            ranked AS (
                SELECT h.batch_id, h.story_id,
                       row_number() OVER (
                           PARTITION BY h.batch_id ORDER BY count(DISTINCT h.key) DESC, h.story_id
                       ) AS rank
                FROM hits AS h ANTI JOIN common AS c ON h.batch_id = c.batch_id AND h.key = c.key
                WHERE h.story_id <> h.batch_id
                GROUP BY h.batch_id, h.story_id
            )
            SELECT p.story_id FROM (
                SELECT * FROM link_profiles WHERE day BETWEEN ? AND ?
                UNION ALL SELECT * FROM link_profiles WHERE day = {UNKNOWN_DAY}
                UNION ALL SELECT * FROM link_profiles
                WHERE ? AND day <> {UNKNOWN_DAY} AND NOT (day BETWEEN ? AND ?)
            ) AS p
            WHERE p.story_id IN (SELECT story_id FROM ranked WHERE rank <= {story_links.MAX_CANDIDATES})
            """,
            [lo, hi, lo, hi, len(dated) < len(lookups), lo, hi],
        )
        return [row[0] for row in result.fetchall()]
    finally:
        index.con.unregister("batch_keys")


def _history(rng: random.Random, stories: int) -> tuple[list[dict], list[tuple[str, int, str]]]:
    """Stored profiles over a fortnight (a tenth of unknown day), each with a few keys of a
    skewed vocabulary: the first keys are on most stories, the tail on a few."""
    vocabulary = [f"n:k{i}" for i in range(60)] + [f"f:{i}" for i in range(20)]
    profiles, keys = [], []
    for i in range(stories):
        story_id = f"s{i:04d}"
        day = UNKNOWN_DAY if rng.random() < 0.1 else 20000 + rng.randrange(14)
        own = sorted({vocabulary[min(int(rng.expovariate(0.08)), len(vocabulary) - 1)] for _ in range(8)})
        profiles.append({c: None for c in PROFILE_COLUMNS} | {"story_id": story_id, "day": day})
        keys += [(key, day, story_id) for key in own]
    return profiles, keys


@pytest.mark.parametrize("seed", range(6))
def test_candidates_are_the_ones_the_sql_join_ranked(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    monkeypatch.setattr(story_links, "MAX_STORIES_PER_KEY", rng.choice((15, 40, 400)))
    monkeypatch.setattr(story_links, "MAX_CANDIDATES", rng.choice((3, 10, 200)))
    profiles, keys = _history(rng, 600)
    by_story: dict[str, list[str]] = {}
    for key, _, story_id in keys:
        by_story.setdefault(story_id, []).append(key)
    vocabulary = sorted({key for key, _, _ in keys})
    with LinkIndex(tmp_path) as index:
        index.bulk_load(profiles, keys)
        for _ in range(4):
            lookups = []
            for j in range(rng.randrange(1, 40)):
                # New stories, and now and then a stored one looked up again (revised).
                story_id = rng.choice(list(by_story)) if rng.random() < 0.2 else f"b{j}"
                own = by_story.get(story_id) or rng.sample(vocabulary, rng.randrange(0, 9))
                if rng.random() < 0.1:
                    lookups.append(KeyLookup(story_id, own, None, None))
                else:
                    day = 20000 + rng.randrange(14)
                    lookups.append(KeyLookup(story_id, own, day - 3, day + 3))
            if rng.random() < 0.3:
                lookups.append(lookups[0])  # one story twice in a batch
            found = [row["story_id"] for row in index.candidates(lookups)]
            assert found == _reference(index, lookups)
