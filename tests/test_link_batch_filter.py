"""``link_batch`` decides only the pairs its array pre-filter lets through: the links must
be exactly those, in the same order, of a ``decide`` over every pair that shares a name
(the loop link_batch ran before the filter), on the real link pages and on a generated batch of the ingest
benchmark's kind (a small vocabulary, so every story shares names with every other)."""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newswire.tasks.link_evidence import LinkProfile, profile_of
from newswire.tasks.linking import LinkPolicy, decide, key_weights, link_batch

ITEMS = Path(__file__).parent / "fixtures" / "real" / "links" / "items"
START = datetime(2022, 12, 19, tzinfo=UTC)


def every_pair(batch: list[LinkProfile], candidates: list[LinkProfile], policy: LinkPolicy) -> list:
    """The reference: link_batch's pair loop before its pre-filter, in its order."""
    pool = {p.story_id: p for p in candidates} | {p.story_id: p for p in batch}
    weights = key_weights(pool.values())
    by_name = defaultdict(list)
    for profile in pool.values():
        for key in profile.names:
            by_name[key].append(profile.story_id)
    links = {}
    for profile in batch:
        shared_counts = defaultdict(int)
        for key in profile.names:
            for other in by_name[key]:
                shared_counts[other] += 1
        for other_id, count in shared_counts.items():
            pair = tuple(sorted((profile.story_id, other_id)))
            if other_id == profile.story_id or pair in links:
                continue
            other = pool[other_id]
            if count < policy.min_shared_names and len(profile.figures & other.figures) < 2:
                continue
            link = decide(profile, other, weights, policy)
            if link is not None:
                links[pair] = link
    return list(links.values())


def _real_pages() -> list[LinkProfile]:
    pages = []
    for path in sorted(ITEMS.glob("*.txt")):
        url, _, text = path.read_text(encoding="utf-8").partition("\n")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        cyrillic = sum("а" <= ch.lower() <= "я" for ch in text) > len(text) / 4
        # Times spread over five days, some pairs inside a window and some outside.
        hours = zlib.crc32(path.stem.encode()) % 120
        pages.append(
            profile_of(
                path.stem,
                lines[0],
                "\n".join(lines[1:]),
                language="ru" if cyrillic else "en",
                outlet_id=url.split("/")[2],
                published_at=START + timedelta(hours=hours),
                enrichment={},
            )
        )
    return pages


def _generated(count: int) -> list[LinkProfile]:
    words = ["Astana", "Tashkent", "Bishkek", "Tokayev", "summit", "minister", "tariff", "railway", "cotton"]
    rng = random.Random(5)
    profiles = []
    for i in range(count):
        text = " ".join(
            " ".join(rng.choice(words) for _ in range(10)).capitalize() + f" {rng.choice((45, 120, 7820))}."
            for _ in range(4)
        )
        profiles.append(
            profile_of(
                f"g{i:04d}",
                text.split(".")[0],
                text,
                language=rng.choice(("en", "ru")),
                outlet_id=f"outlet{i % 7}.example",
                published_at=START + timedelta(minutes=rng.randrange(0, 6 * 24 * 60)),
                enrichment={"countries": ["KZ"] if i % 2 else []},
            )
        )
    return profiles


@pytest.mark.parametrize("pages", ["real", "generated"])
def test_the_pre_filter_keeps_every_link_a_decide_of_all_pairs_makes(pages):
    profiles = _real_pages() if pages == "real" else _generated(300)
    policy = LinkPolicy()
    batch, candidates = profiles[::2], profiles[1::2]
    expected = every_pair(batch, candidates, policy)
    assert expected, "the pool makes links, so the comparison says something"
    assert link_batch(batch, candidates, policy) == expected


def test_unknown_times_pass_the_time_filters_as_decide_sees_them():
    profiles = _real_pages()[:40]
    undated = [replace(p, published_at=None) if i % 3 == 0 else p for i, p in enumerate(profiles)]
    policy = LinkPolicy()
    batch, candidates = undated[:20], undated[20:]
    assert link_batch(batch, candidates, policy) == every_pair(batch, candidates, policy)
