"""Near-duplicate story clustering: quality on a labelled set, and speed against history.

    python benchmarks/dedupe_eval.py quality            # precision/recall/F1/ARI by transform
    python benchmarks/dedupe_eval.py perf               # 10k items vs 100k and 1M stories
    python benchmarks/dedupe_eval.py perf --history 100000 --batch 2000   # quicker

Quality: real feed items (../shared/corpus, the seed page) plus syndication variants made
by the transforms outlets apply (boilerplate, datelines, typography, truncation at 30/50/70 %
of paragraphs, headline rewrites, editor's notes, all combined), and hard negatives:
independent articles on the same event (benchmarks/labelled/dedupe_hard_negatives.toml) and
same-template daily reports. Every item goes through the production path
(flows.rebuild.plan_stories against a real warehouse, committed in batches), in shuffled
publication order, so cut copies often arrive before the full story.

Perf: a history of N generated stories is bulk-loaded into the index (signatures generated
directly), then a batch of new items (a share of them copies of history stories) is planned
against it; each case runs in its own process so peak RSS is its own. The baseline is
datasketch.MinHashLSH in memory, same bands, same verification, same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from newswire.flows.steps.load import fill_batch, plan_stories  # noqa: E402
from newswire.tasks import minhash  # noqa: E402
from newswire.tasks.catalog import Feed  # noqa: E402
from newswire.tasks.cluster import (  # noqa: E402
    DedupePolicy,
    Profile,
    StoryMatcher,
    index_keys,
    load_policy,
    profile_of,
)
from newswire.tasks.dedupe import History, plan_batch  # noqa: E402
from newswire.tasks.enrich import EnrichmentRules, enrich_entries  # noqa: E402
from newswire.tasks.normalise import NormalisedEntry, normalise_document  # noqa: E402
from newswire.tasks.parse import parse_document  # noqa: E402
from newswire.tasks.partition import Member, component_id  # noqa: E402
from newswire.tasks.recluster import member_row  # noqa: E402
from newswire.tasks.settings import NormalisePolicy  # noqa: E402
from newswire.tasks.shingles import normalised_title  # noqa: E402
from newswire.tasks.text import content_hash  # noqa: E402
from newswire.warehouse import story_index  # noqa: E402
from newswire.warehouse.views import open_reader  # noqa: E402
from newswire.warehouse.writer import CommitBatch, Warehouse  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SEED_PAGE = SHARED / "seed" / "theprint-reuters-central-asia-trade.txt"
HARD_NEGATIVES = Path(__file__).resolve().parent / "labelled" / "dedupe_hard_negatives.toml"
REAL_SET = ROOT / "tests" / "fixtures" / "real" / "dedupe"
# The real set's story of the seed page (labels.toml).
SEED_STORY = "e01-reuters"
# The seed page's own address (the file has no URL line).
SEED_URL = "https://theprint.in/world/putin-urges-central-asian-states-to-step-up-trade-with-russia/2761400/"
EPOCH = datetime(2025, 10, 1, tzinfo=UTC)
# Items with fewer words are briefs: cut at 30 % they are a headline and a sentence.
MIN_BASE_WORDS = 80

# -- the labelled set ---------------------------------------------------------------------


@dataclass
class Item:
    label: str  # the true story
    kind: str  # "original", a transform name, "hard-negative", "template"
    outlet: str
    title: str
    text: str
    group: str | None = None  # items of one group must never be merged with each other
    # Real pages only: where the page came from, its language and its id in labels.toml.
    url: str | None = None
    language: str = "en"
    item_id: str | None = None


def _paragraphs(text: str) -> list[str]:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    if len(paragraphs) >= 4:
        return paragraphs
    # One-block feed text: sentences stand in for paragraphs.
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-ZА-Я\"“])", text) if s.strip()]
    return sentences if len(sentences) > len(paragraphs) else paragraphs


def _seed_base() -> tuple[str, str]:
    text = SEED_PAGE.read_text(encoding="utf-8")
    body = "MOSCOW (Reuters)" + text.split("MOSCOW (Reuters)", 1)[1].split("Disclaimer:", 1)[0]
    return "Putin urges Central Asian states to step up trade with Russia", body.strip()


def load_bases(limit: int, seed: int = 7) -> list[tuple[str, str]]:
    """(title, text) of real items with enough text, distinct by headline and by text."""
    feed = Feed(
        id="corpus", name="corpus", url="http://corpus.invalid/", kind="outlet", language="en", country="XX"
    )
    found: list[tuple[str, str]] = []
    titles: set[str] = set()
    hashes: set[str] = set()
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.name in ("MANIFEST.tsv", "README.md") or "LICENSES" in path.parts:
            continue
        document = parse_document(path.read_bytes(), {}, feed.url, 20 * 1024 * 1024)
        if document.error:
            continue
        for entry in normalise_document(document, feed, EPOCH, feed.url, NormalisePolicy()):
            text = entry.body or entry.summary
            key = normalised_title(entry.title)
            digest = content_hash(text)
            if (
                len(text.split()) < MIN_BASE_WORDS
                or len(key.split()) < 3
                or key in titles
                or digest in hashes
            ):
                continue
            titles.add(key)
            hashes.add(digest)
            found.append((entry.title, text))
    random.Random(seed).shuffle(found)
    return [_seed_base(), *found[: limit - 1]]


BOILERPLATE_TOP = [
    "Support Our Journalism\nFollow Us :\nText Size:",
    "Advertisement\nShare this article\nFacebook Twitter WhatsApp Telegram",
    "Listen to this article\n2 min read",
]
BOILERPLATE_BOTTOM = [
    "Disclaimer: This report is auto generated from the Reuters news service. ThePrint holds no "
    "responsibility for its content.\n\nSubscribe to our channels on YouTube, Telegram & WhatsApp",
    "Copyright Business Recorder, 2025",
    "This story has not been edited by The Times of Central Asia staff and is auto-generated from a "
    "syndicated feed.",
    "Follow us on Telegram for the latest news. Reproduction of materials is allowed only with an "
    "active hyperlink to the source.",
]
CITIES = ["MOSCOW", "ALMATY", "TASHKENT", "BISHKEK", "DUSHANBE", "ASHGABAT", "LONDON", "BERLIN"]
_DATELINE = re.compile(r"^[A-ZА-Я][A-ZА-Я .,-]{2,40}(?:,\s*\w+\s+\d+)?\s*\((?:Reuters|AP|AFP)\)\s*[-–—]\s*")
_CURLY = str.maketrans({'"': "“", "'": "’", "-": "–"})
_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "«": '"', "»": '"'})


def _cut(paragraphs: list[str], share: float) -> str:
    return "\n\n".join(paragraphs[: max(1, math.ceil(share * len(paragraphs)))])


def _dateline(text: str, rng: random.Random) -> str:
    city = rng.choice(CITIES)
    if _DATELINE.match(text):
        return _DATELINE.sub(f"{city.split(',')[0]}: ", text, count=1)
    return rng.choice([f"{city}: ", f"{city}, Oct 9 (Reuters) - ", f"{city.title()}, 9 October - "]) + text


def _headline(title: str, text: str, rng: random.Random) -> str:
    words = title.split()
    choice = rng.randrange(3)
    if choice == 0 and len(words) > 5:  # a desk's shorter headline with a kicker
        return f"{rng.choice(['Update', 'World', 'Region', 'Analysis'])}: " + " ".join(
            words[: max(4, len(words) * 2 // 3)]
        )
    if choice == 1:  # a headline made from the lead
        return " ".join(_paragraphs(text)[0].split()[:9]).rstrip(",.;:")
    return (
        title.upper()
        if rng.random() < 0.5
        else f"{title} - {rng.choice(['Reuters', 'ThePrint', 'AKIpress'])}"
    )


def _editors_note(text: str, rng: random.Random) -> str:
    note = rng.choice(
        [
            "Editor's note: This story has been updated to correct the spelling of a name in the fourth "
            "paragraph.",
            "Editor's note: The article was amended after publication to add comment from officials.",
        ]
    )
    return f"{note}\n\n{text}" if rng.random() < 0.5 else f"{text}\n\n{note}"


def variants(title: str, text: str, rng: random.Random) -> dict[str, tuple[str, str]]:
    """Transform name -> (title, text) of one syndicated copy."""
    paragraphs = _paragraphs(text)
    top, bottom = rng.choice(BOILERPLATE_TOP), rng.choice(BOILERPLATE_BOTTOM)
    return {
        "boilerplate": (title, f"{top}\n\n{text}\n\n{bottom}"),
        "dateline": (title, _dateline(text, rng)),
        "typography": (
            title.translate(_STRAIGHT),
            text.translate(_STRAIGHT if rng.random() < 0.5 else _CURLY),
        ),
        "truncate-30": (title, _cut(paragraphs, 0.3)),
        "truncate-50": (title, _cut(paragraphs, 0.5)),
        "truncate-70": (title, _cut(paragraphs, 0.7)),
        "headline-rewrite": (_headline(title, text, rng), text),
        "editors-note": (title, _editors_note(text, rng)),
        "combined": (
            _headline(title, text, rng),
            f"{top}\n\n{_dateline(_cut(paragraphs, 0.5), rng)}\n\n{bottom}".translate(_STRAIGHT),
        ),
    }


TEMPLATES = {
    "exchange-rates": (
        "Official exchange rates for {day} October",
        "The National Bank of Kazakhstan set the official exchange rate for {day} October at {a} tenge per "
        "US dollar, {b} tenge per euro and {c} tenge per Russian rouble.\n\nOn the Kazakhstan Stock "
        "Exchange the dollar closed the morning session at {d} tenge, with a trading volume of {e} million "
        "dollars.\n\nThe yuan was quoted at {f} tenge.",
    ),
    "weather": (
        "Weather forecast for Tashkent on {day} October",
        "According to Uzhydromet, on {day} October the weather in Tashkent will be {sky}, without "
        "precipitation. The wind will be north-easterly, {a}-{b} metres per second.\n\nThe air temperature "
        "at night will be {c}-{d} degrees, during the day {e}-{f} degrees of heat.\n\nIn the Tashkent "
        "region, fog is possible in places at night and in the morning.",
    ),
    "stock-close": (
        "KASE index closes at {a} points on {day} October",
        "The KASE index closed trading on {day} October at {a} points, changing by {b} percent. Trading "
        "volume in shares amounted to {c} million tenge.\n\nThe leaders of growth were shares of "
        "Kazatomprom, up {d} percent, and Halyk Bank, up {e} percent.\n\nShares of KEGOC fell by {f} "
        "percent.",
    ),
}


def template_items(rng: random.Random) -> list[Item]:
    items = []
    for family, (title, body) in TEMPLATES.items():
        for day in range(1, 11):
            values = {k: f"{rng.uniform(1, 600):.1f}" for k in "abcdef"}
            values["sky"] = rng.choice(["clear", "partly cloudy", "cloudy"])
            text = body.format(day=day, **values)
            label = f"{family}-{day}"
            items.append(Item(label, "template", "kazinform", title.format(day=day, **values), text, family))
            if day == 3:  # one report syndicated by a second outlet: must merge
                copy = f"{text}\n\n{BOILERPLATE_BOTTOM[3]}"
                items.append(Item(label, "template-copy", "kapital", title.format(day=day, **values), copy))
    return items


def hard_negative_items() -> list[Item]:
    data = tomllib.loads(HARD_NEGATIVES.read_text(encoding="utf-8"))
    items = []
    for number, event in enumerate(data["event"]):
        for k, article in enumerate(event["article"]):
            items.append(
                Item(
                    f"event{number}-{k}",
                    "hard-negative",
                    article["outlet"],
                    article["title"],
                    article["body"].strip(),
                    f"event{number}",
                )
            )
    return items


def labelled_set(limit: int = 150, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    items: list[Item] = []
    for number, (title, text) in enumerate(load_bases(limit, seed)):
        label = f"base{number}"
        # The seed (Reuters, Dushanbe) is also a hard negative of the Dushanbe articles.
        group = "event0" if number == 0 else None
        items.append(Item(label, "original", "wire", title, text, group))
        for transform, (v_title, v_text) in variants(title, text, rng).items():
            items.append(Item(label, transform, f"outlet-{transform}", v_title, v_text))
    return items + hard_negative_items() + template_items(rng)


# -- the real-page set ----------------------------------------------------------------------


def is_held_out(event: str) -> bool:
    """The split rule, fixed before any tuning: an event (all its items) is held out when
    the SHA-1 of its id is divisible by 3."""
    return int(hashlib.sha1(event.encode("utf-8")).hexdigest(), 16) % 3 == 0


def _outlet_of(url: str) -> str:
    host = urlsplit(url).hostname or "unknown"
    return host.removeprefix("www.")


def real_items(part: str | None = None) -> list[Item]:
    """The real pages of tests/fixtures/real/dedupe (labels.toml), ``part`` "dev",
    "held-out" or None for both. Each item is a page as a search result gave it: URL on
    line 1, then the text with the outlet's furniture."""
    labels = tomllib.loads((REAL_SET / "labels.toml").read_text(encoding="utf-8"))["item"]
    items = []
    for label in labels:
        if label.get("source") == "seed":
            url, text = (
                "https://theprint.in/world/putin-urges-central-asian-states/2761400/",
                SEED_PAGE.read_text(encoding="utf-8"),
            )
        else:
            url, _, text = (
                (REAL_SET / "items" / f"{label['id']}.txt").read_text(encoding="utf-8").partition("\n")
            )
        held = is_held_out(label["event"])
        if part is not None and held != (part == "held-out"):
            continue
        items.append(
            Item(
                label["story"],
                label["kind"],
                _outlet_of(url),
                label["title"],
                text.strip(),
                label["event"],
                url=url.strip(),
                language=label["language"],
                item_id=label["id"],
            )
        )
    return items


def enriched(entries: list[NormalisedEntry], items: list[Item]) -> list[NormalisedEntry]:
    """Each entry through enrichment as ingest would enrich it (furniture removal,
    attribution), from a feed of its outlet: the clustering sees the clean body."""
    rules = EnrichmentRules.load()
    out = []
    for entry, item in zip(entries, items, strict=True):
        if item.url is None:  # a generated item: already the text dedupe sees
            out.append(entry)
            continue
        feed = Feed(
            id=entry.feed_id,
            name=item.outlet,
            url=f"https://{item.outlet}/feed",
            kind="outlet",
            language=item.language,
            country="XX",
            outlet=item.outlet,
        )
        entry.url = entry.canonical_url = item.url or entry.url
        entry.language = feed.language
        out += enrich_entries([entry], feed, rules)[0]
    return out


# -- running the production path over it --------------------------------------------------


def _entry(number: int, item: Item, published_at: datetime) -> NormalisedEntry:
    feed_id = f"{item.outlet}-{number % 7}"
    return NormalisedEntry(
        feed_id=feed_id,
        outlet_id=item.outlet,
        entry_id=f"item-{number}",
        guid=f"item-{number}",
        url=f"https://{item.outlet}.example/{number}",
        canonical_url=f"https://{item.outlet}.example/{number}",
        title=item.title,
        summary="",
        body=item.text,
        published_at=published_at,
        date_issue=None,
        updated_at=None,
        language="en",
        authors=[],
        categories=[],
        content_hash=content_hash(item.title, item.text),
        word_count=len(item.title.split()) + len(item.text.split()),
    )


def cluster_items(
    items: list[Item],
    data_dir: Path,
    policy: DedupePolicy,
    batch_size: int = 200,
    seed: int = 11,
    prepare=None,
    arrival_seed: int | None = None,
) -> list[str]:
    """Story id of every item after ingesting them, ``batch_size`` per run, through
    plan_stories + commit. Items are published in a shuffled order (``seed``), so cut
    copies are often older than the full story; they arrive in publication order, or in
    another shuffled order (``arrival_seed``: a feed polled late). ``prepare`` (e.g.
    ``enriched``) turns the entries into what the ingest would hand to dedupe. The ids are
    read back from the lake at the end, so a later run that merges stories counts."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    entries = {
        n: _entry(n, items[n], EPOCH + timedelta(minutes=position)) for position, n in enumerate(order)
    }
    if arrival_seed is not None:
        random.Random(arrival_seed).shuffle(order)
    if prepare is not None:
        numbers = sorted(entries)
        entries = dict(
            zip(numbers, prepare([entries[n] for n in numbers], [items[n] for n in numbers]), strict=True)
        )
    warehouse = Warehouse(data_dir)
    with warehouse.writer():
        for start in range(0, len(order), batch_size):
            chunk = [entries[n] for n in order[start : start + batch_size]]
            now = datetime.now(UTC)
            history = History()
            plan, matcher = plan_stories(warehouse, chunk, history, now, policy)
            batch = CommitBatch(run_id=f"eval-{arrival_seed}-{start}", flow="eval", started_at=now)
            fill_batch(batch, plan, matcher, now)
            warehouse.commit(batch)
    return lake_assignment(data_dir, len(items))


def lake_assignment(data_dir: Path, count: int) -> list[str]:
    """story_id of item-0 .. item-(count-1), as the lake's appearances view has them."""
    con = open_reader(data_dir)
    try:
        found = dict(con.execute("SELECT entry_id, story_id FROM appearances").fetchall())
    finally:
        con.close()
    return [found[f"item-{n}"] for n in range(count)]


def _pairs(counts) -> int:
    return sum(c * (c - 1) // 2 for c in counts)


@dataclass
class QualityReport:
    items: int
    precision: float
    recall: float
    f1: float
    ari: float
    hard_negative_merges: int
    hard_negative_pairs: int
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def pairwise(truth: list[str], predicted: list[str]) -> tuple[float, float, float, float]:
    """(precision, recall, F1, adjusted Rand index) of a predicted partition, over pairs."""
    joint = Counter(zip(truth, predicted, strict=True))
    true_pairs = _pairs(Counter(truth).values())
    pred_pairs = _pairs(Counter(predicted).values())
    both = _pairs(joint.values())
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = _pairs([len(truth)])
    expected = true_pairs * pred_pairs / total if total else 0.0
    top = (true_pairs + pred_pairs) / 2
    ari = (both - expected) / (top - expected) if top != expected else 1.0
    return precision, recall, f1, ari


def score(items: list[Item], predicted: list[str]) -> QualityReport:
    precision, recall, f1, ari = pairwise([i.label for i in items], predicted)

    story_labels: dict[str, set[str]] = defaultdict(set)
    for item, story in zip(items, predicted, strict=True):
        story_labels[story].add(item.label)
    original_story = {
        i.label: s for i, s in zip(items, predicted, strict=True) if i.kind in ("original", "template")
    }
    by_kind: dict[str, dict[str, float]] = {}
    errors = []
    for kind in sorted({i.kind for i in items}):
        members = [(i, s) for i, s in zip(items, predicted, strict=True) if i.kind == kind]
        wrong = sum(1 for i, s in members if len(story_labels[s]) > 1)
        row = {"items": len(members), "wrong_merges": wrong}
        if kind not in ("original", "template", "hard-negative"):
            joined = [s == original_story.get(i.label) for i, s in members]
            row["recall"] = sum(joined) / len(joined)
            errors += [
                f"missed {kind}: {i.title[:70]!r}"
                for (i, _), ok in zip(members, joined, strict=True)
                if not ok
            ]
        by_kind[kind] = row
    groups: dict[str, list[int]] = defaultdict(list)
    for n, item in enumerate(items):
        if item.group:
            groups[item.group].append(n)
    hn_pairs = hn_merges = 0
    for members in groups.values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if items[a].label == items[b].label:
                    continue
                hn_pairs += 1
                if predicted[a] == predicted[b]:
                    hn_merges += 1
                    errors.append(f"merged hard negatives: {items[a].title[:50]!r} + {items[b].title[:50]!r}")
    for story, labels in story_labels.items():
        if len(labels) > 1:
            titles = sorted({i.title[:50] for i, s in zip(items, predicted, strict=True) if s == story})
            errors.append(f"wrong merge of {len(labels)} labels: {titles[:4]}")
    return QualityReport(len(items), precision, recall, f1, ari, hn_merges, hn_pairs, by_kind, errors)


@dataclass
class RealReport:
    part: str
    items: int
    events: int
    same_story_pairs: int
    precision: float
    recall: float
    ari: float
    errors: list[str] = field(default_factory=list)


def score_real(part: str, items: list[Item], predicted: list[str]) -> RealReport:
    precision, recall, _, ari = pairwise([i.label for i in items], predicted)
    errors = []
    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            same, joined = items[a].label == items[b].label, predicted[a] == predicted[b]
            if same != joined:
                what = "missed copy" if same else "false merge"
                errors.append(
                    f"{what}: {items[a].item_id} ({items[a].kind}) + {items[b].item_id} ({items[b].kind})"
                )
    return RealReport(
        part,
        len(items),
        len({i.group for i in items}),
        _pairs(Counter(i.label for i in items).values()),
        precision,
        recall,
        ari,
        errors,
    )


def evaluate_real(work_dir: Path, policy: DedupePolicy | None = None, part: str | None = None) -> RealReport:
    """The real-page set through enrichment and the production dedupe path, arriving in
    a shuffled order a few pages per run."""
    items = real_items(part)
    predicted = cluster_items(items, work_dir, policy or load_policy(), batch_size=7, prepare=enriched)
    return score_real(part or "all", items, predicted)


def print_real(reports: list[RealReport]) -> None:
    print("\nReal pages (tests/fixtures/real/dedupe), through enrichment and dedupe:")
    print(
        f"{'part':<10} {'events':>6} {'items':>6} {'same-story pairs':>16} "
        f"{'precision':>9} {'recall':>7} {'ARI':>6}"
    )
    for r in reports:
        print(
            f"{r.part:<10} {r.events:>6} {r.items:>6} {r.same_story_pairs:>16} {r.precision:>9.3f} "
            f"{r.recall:>7.3f} {r.ari:>6.3f}"
        )
        for line in r.errors:
            print("  " + line)


def evaluate_quality(work_dir: Path, limit: int = 150, policy: DedupePolicy | None = None) -> QualityReport:
    items = labelled_set(limit)
    return score(items, cluster_items(items, work_dir, policy or load_policy()))


def print_quality(report: QualityReport) -> None:
    print(f"Labelled set: {report.items} items ({datetime.now(UTC):%Y-%m-%d}, {sys.platform})")
    print(f"{'kind':<18} {'items':>6} {'recall':>8} {'wrong merges':>13}")
    for kind, row in report.by_kind.items():
        recall = f"{row['recall']:.3f}" if "recall" in row else "-"
        print(f"{kind:<18} {row['items']:>6} {recall:>8} {row['wrong_merges']:>13}")
    print(
        f"\npairwise precision {report.precision:.4f}  recall {report.recall:.4f}  F1 {report.f1:.4f}  "
        f"ARI {report.ari:.4f}\nhard-negative pairs merged: {report.hard_negative_merges} of "
        f"{report.hard_negative_pairs}"
    )
    for line in report.errors[:30]:
        print("  " + line)


# -- arrival order -------------------------------------------------------------------------


def evaluate_order(work_dir: Path, orders: int = 20, policy: DedupePolicy | None = None) -> list[dict]:
    """The generated and the real labelled sets ingested in ``orders`` random arrival
    orders, each in batches of a random size (so a story's copies land in different runs),
    then re-clustered with ``dedupe --rebuild``: one row per order with its partition."""
    from newswire.flows.rebuild import rebuild_clusters

    policy = policy or load_policy()
    real = real_items()
    for item in real:
        # The real set's Reuters Dushanbe copies are the generated set's first base story
        # (the seed page and its variants): one story in the truth as well.
        if item.label == SEED_STORY:
            item.label = "base0"
    items = labelled_set() + real
    truth = [i.label for i in items]
    rows = []
    for seed in range(orders):
        data_dir = work_dir / f"order-{seed}"
        batch_size = random.Random(seed).choice([40, 75, 150, 300])
        ingested = cluster_items(
            items, data_dir, policy, batch_size=batch_size, prepare=enriched, arrival_seed=seed
        )
        rebuild_clusters(data_dir, policy)
        rebuilt = lake_assignment(data_dir, len(items))
        precision, recall, _, ari = pairwise(truth, ingested)
        rows.append(
            {
                "seed": seed,
                "batch": batch_size,
                "precision": precision,
                "recall": recall,
                "ari_truth": ari,
                "ari_rebuild": pairwise(rebuilt, ingested)[3],
                "partition": ingested,
            }
        )
        print(
            f"  order {seed}: batches of {batch_size}, ARI vs rebuild {rows[-1]['ari_rebuild']:.4f}",
            file=sys.stderr,
        )
    return rows


def print_order(rows: list[dict]) -> None:
    worst = min(pairwise(a["partition"], b["partition"])[3] for a in rows for b in rows)
    print(
        f"Arrival order ({len(rows)} random orders, {len(rows[0]['partition'])} items, "
        f"{datetime.now(UTC):%Y-%m-%d})"
    )
    print(
        f"{'order':>5} {'batch':>5} {'precision':>9} {'recall':>7} {'ARI vs truth':>12} "
        f"{'ARI vs rebuild':>14}"
    )
    for r in rows:
        print(
            f"{r['seed']:>5} {r['batch']:>5} {r['precision']:>9.4f} {r['recall']:>7.4f} "
            f"{r['ari_truth']:>12.4f} {r['ari_rebuild']:>14.4f}"
        )
    print(f"\nlowest ARI between any two orders: {worst:.4f}")


# -- performance ---------------------------------------------------------------------------


def _vocabulary(rng, size: int = 30_000) -> list[str]:
    syllables = [
        "ka",
        "zan",
        "tu",
        "ro",
        "mi",
        "sha",
        "dor",
        "bek",
        "li",
        "on",
        "ter",
        "va",
        "ush",
        "gi",
        "nor",
    ]
    return ["".join(rng.choice(syllables, size=int(rng.integers(2, 5)))) for _ in range(size)]


def _texts(rng, vocabulary: list[str], count: int) -> list[tuple[str, list[str]]]:
    """(headline, paragraphs) with Zipf-Mandelbrot distributed words, like news prose (the
    most frequent word ~4 %, as "the" in English)."""
    weights = 1.0 / (np.arange(len(vocabulary)) + 2.7)
    ranks = rng.choice(len(vocabulary), size=count * 400, p=weights / weights.sum())
    out, position = [], 0
    for _ in range(count):
        paragraphs = []
        for _ in range(int(rng.integers(5, 10))):
            length = int(rng.integers(25, 50))
            paragraphs.append(" ".join(vocabulary[i] for i in ranks[position : position + length]) + ".")
            position = (position + length) % (len(ranks) - 60)
        title = " ".join(vocabulary[i] for i in rng.integers(0, len(vocabulary), size=8))
        out.append((title.capitalize(), paragraphs))
    return out


def _bench_entry(number: int, title: str, text: str) -> NormalisedEntry:
    item = Item(f"b{number}", "bench", f"outlet{number % 50}", title, text)
    return _entry(number, item, EPOCH + timedelta(seconds=number))


def _history_arrays(rng, count: int) -> tuple[np.ndarray, np.ndarray]:
    signatures = rng.integers(0, 2**32, size=(count, minhash.NUM_PERM), dtype=np.uint64).astype(np.uint32)
    return signatures, rng.integers(80, 600, size=count).astype(np.int32)


def _load_history(warehouse: Warehouse, rng, history: int, originals: list, policy: DedupePolicy) -> None:
    """Bulk-load ``history`` generated stories, one appearance each (and the profiles of
    ``originals``, with their story state), into the index tables, 100k per transaction
    (DuckDB holds uncommitted rows in memory)."""
    with warehouse.state() as con:
        chunk = 100_000
        for start in range(0, history, chunk):
            count = min(chunk, history - start)
            signatures, sizes = _history_arrays(rng, count)
            ids = [f"h{start + i:09d}" for i in range(count)]
            con.execute("BEGIN TRANSACTION")
            keys = np.array([story_index.appearance_key(i) for i in ids], dtype=np.int64)
            bands = minhash.band_keys(signatures, policy.bands, policy.rows)
            story_index.bulk_load(
                con,
                "appearance_bands",
                pa.table({"key": bands.reshape(-1), "appearance_key": np.repeat(keys, policy.bands)}),
            )
            blobs = signatures.astype("<u4").view(f"S{4 * minhash.NUM_PERM}").reshape(-1)
            story_index.bulk_load(
                con,
                "appearance_profiles",
                pa.table(
                    {
                        "appearance_key": keys,
                        "appearance_id": ids,
                        "component": np.arange(start + 1, start + count + 1, dtype=np.int64),
                        "story_id": ids,
                        "fresh_story_id": ids,
                        "feed_id": ["history"] * count,
                        "entry_id": ids,
                        "published_at": pa.array(
                            [EPOCH - timedelta(days=1)] * count, pa.timestamp("us", tz="UTC")
                        ),
                        "update_level": np.zeros(count, dtype=np.int32),
                        "exact_keys": pa.array([[]] * count, pa.list_(pa.string())),
                        "signature": pa.array(blobs.tolist(), pa.binary()),
                        "shingle_count": sizes,
                        "title": ids,
                        "numbers": pa.array([[]] * count, pa.list_(pa.string())),
                        "sentences": pa.array([[]] * count, pa.list_(pa.uint32())),
                        "wire_agency": pa.nulls(count, pa.string()),
                        "wire_original": np.zeros(count, dtype=bool),
                    }
                ),
            )
            con.execute("COMMIT")
        if hasattr(story_index, "compact"):  # the sorted run of band keys, as production has it
            con.execute("BEGIN TRANSACTION")
            story_index.compact(con)
            con.execute("COMMIT")
        members = {}
        for n, profile in enumerate(originals):
            member = Member(f"o{n}", profile, EPOCH, "originals", f"o{n}", frozenset(), f"o{n}", f"o{n}")
            member.component = component_id(member.appearance_id)
            members[member.appearance_id] = member_row(member)
        rows = [(key, aid) for n, aid in enumerate(members) for key in index_keys(originals[n], policy)]
        con.execute("BEGIN TRANSACTION")
        story_index.apply(con, members, rows, {})
        con.register(
            "original_states",
            pa.table(
                {
                    "story_id": list(members),
                    "revision": pa.array([1] * len(members), pa.int32()),
                    "representative_appearance_id": list(members),
                    "first_seen_at": pa.array([EPOCH] * len(members), pa.timestamp("us", tz="UTC")),
                }
            ),
        )
        con.execute("INSERT INTO story_state SELECT * FROM original_states")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")


class _DatasketchMatcher(StoryMatcher):
    """The baseline: the same verification, candidates from an in-memory MinHashLSH."""

    def __init__(self, policy, lsh, signatures, sizes, originals):
        super().__init__(policy)
        self.lsh, self.signatures, self.sizes, self.originals = lsh, signatures, sizes, originals

    def candidates(self, profile):
        found = set(self.lsh.query(self._minhash(profile.signature))) | super().candidates(profile)
        for story_id in found - set(self.profiles):
            if story_id.startswith("o"):
                self.profiles[story_id] = self.originals[int(story_id[1:])]
            else:
                row = int(story_id[1:])
                self.profiles[story_id] = Profile(
                    self.signatures[row], int(self.sizes[row]), story_id, frozenset()
                )
        return found

    @staticmethod
    def _minhash(signature):
        from datasketch import MinHash

        # tasks/minhash.py uses datasketch's pre-2.0 permutation scheme, hence "legacy".
        return MinHash(num_perm=minhash.NUM_PERM, hashvalues=signature.astype(np.uint64), scheme="legacy")


def _best_of(run, repeats: int = 3):
    """(fastest wall time, result) of ``repeats`` runs: the machine is shared, and the
    fastest run is the one least disturbed by other processes."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def _perf_batches(rng, vocabulary, batches: list[int]) -> tuple[list[Profile], dict[int, list]]:
    """History originals (profiles) and, per batch size, a batch of that size: a quarter
    cut-and-wrapped copies of history stories, the rest fresh items."""
    largest = max(batches)
    copied = largest // 4
    originals_text = _texts(rng, vocabulary, copied)
    fresh_text = _texts(rng, vocabulary, largest - copied)
    originals = [profile_of(t, "\n\n".join(p)) for t, p in originals_text]
    copies = []
    for n, (title, paragraphs) in enumerate(originals_text):  # cut at 50 % + furniture
        text = f"{BOILERPLATE_TOP[n % 3]}\n\n" + _cut(paragraphs, 0.5) + f"\n\n{BOILERPLATE_BOTTOM[n % 4]}"
        copies.append(_bench_entry(n, title, text))
    fresh = [_bench_entry(copied + n, t, "\n\n".join(p)) for n, (t, p) in enumerate(fresh_text)]
    return originals, {size: copies[: size // 4] + fresh[: size - size // 4] for size in batches}


class _TimedIndex:
    """The warehouse as ``plan_stories`` sees it, timing the two index reads (the part of
    a batch's cost that could grow with the history)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse, self.lookup_s = warehouse, 0.0
        self.enrichment_columns = warehouse.enrichment_columns

    def _timed(self, read, *args):
        started = time.perf_counter()
        try:
            return read(*args)
        finally:
            self.lookup_s += time.perf_counter() - started

    def cluster_candidates(self, keys):
        return self._timed(self.warehouse.cluster_candidates, keys)

    def cluster_members(self, components, story_ids):
        return self._timed(self.warehouse.cluster_members, components, story_ids)

    def current_rows(self, table, ids):
        return self.warehouse.current_rows(table, ids)


def _timed_plans(warehouse: Warehouse, entries: list, policy: DedupePolicy, repeats: int) -> dict:
    """Best of ``repeats`` plans of one batch (nothing committed, so each sees the same
    history), and the index reads' share of that best run."""
    best = None
    for _ in range(repeats):
        index = _TimedIndex(warehouse)
        started = time.perf_counter()
        plans = plan_stories(index, entries, History(), datetime.now(UTC), policy)
        took = time.perf_counter() - started
        if best is None or took < best[0]:
            best = (took, index.lookup_s, plans)
    took, lookup_s, plans = best
    return {"dedupe_s": took, "lookup_s": lookup_s, "plans": plans}


def perf_case(history: int, batches: list[int], mode: str) -> dict:
    """One measurement in this process: build the history, then time dedupe of a batch
    of each size against it."""
    policy = load_policy()
    rng = np.random.default_rng(5)
    originals, by_size = _perf_batches(rng, _vocabulary(rng), batches)
    result: dict = {"mode": mode, "history": history, "batches": []}
    started = time.perf_counter()
    if mode == "index":
        with tempfile.TemporaryDirectory(prefix="dedupe-perf-") as tmp:
            warehouse = Warehouse(Path(tmp))
            _load_history(warehouse, rng, history, originals, policy)
            result["setup_s"] = time.perf_counter() - started
            result["db_mb"] = round(
                sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20
            )
            for size, entries in by_size.items():
                # Small batches are over in milliseconds: more repeats against the noise.
                timed = _timed_plans(warehouse, entries, policy, 3 if size >= 2000 else 7)
                plan, clustered = timed.pop("plans")
                result["batches"].append(
                    {"batch": size, **timed, "matched_copies": plan.merged, "copies": size // 4}
                )
            # The commit's index write for the largest batch (then the state has changed).
            started = time.perf_counter()
            commit = CommitBatch(run_id="perf", flow="perf", started_at=datetime.now(UTC))
            fill_batch(commit, plan, clustered, datetime.now(UTC))
            with warehouse.state() as con:
                con.execute("BEGIN TRANSACTION")
                story_index.apply(con, commit.cluster_members, commit.cluster_bands, commit.story_redirects)
                con.execute("COMMIT")
            result["index_update_s"] = time.perf_counter() - started
    else:
        from datasketch import MinHashLSH

        signatures, sizes = _history_arrays(rng, history)
        lsh = MinHashLSH(num_perm=minhash.NUM_PERM, params=(policy.bands, policy.rows))
        with lsh.insertion_session() as session:
            for row in range(history):
                session.insert(
                    f"h{row:09d}", _DatasketchMatcher._minhash(signatures[row]), check_duplication=False
                )
            for n, profile in enumerate(originals):
                session.insert(
                    f"o{n}", _DatasketchMatcher._minhash(profile.signature), check_duplication=False
                )
        result["setup_s"] = time.perf_counter() - started
        for size, entries in by_size.items():
            took, plan = _best_of(
                lambda entries=entries: plan_batch(
                    entries,
                    History(),
                    datetime.now(UTC),
                    match_story=_DatasketchMatcher(policy, lsh, signatures, sizes, originals),
                )
            )
            result["batches"].append(
                {
                    "batch": size,
                    "dedupe_s": took,
                    "lookup_s": None,
                    "matched_copies": plan.merged,
                    "copies": size // 4,
                }
            )
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_perf(histories: list[int], batches: list[int], baseline_max: int) -> list[dict]:
    results = []
    for history in histories:
        for mode in ("index", "datasketch"):
            if mode == "datasketch" and history > baseline_max:
                continue
            command = [sys.executable, __file__, "_perf-case", str(history), mode, *map(str, batches)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{mode} with {history:,} stories failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(
                f"  measured {mode} x {history:,}: setup {results[-1]['setup_s']:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return results


def print_perf(results: list[dict]) -> None:
    """One row per (history, mode, batch size); "vs 1st history" compares the per-item
    cost with the same batch size against the first (smallest) history of this run."""
    print(f"Dedupe throughput ({datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, {sys.platform})")
    print(
        f"{'history':>10} {'mode':<11} {'batch':>6} {'setup s':>8} {'dedupe s':>9} {'per-item ms':>11} "
        f"{'lookup ms':>9} {'vs 1st history':>14} {'vs baseline':>11} {'peak RSS MB':>11} "
        f"{'copies found':>12}"
    )
    first_history = results[0]["history"] if results else None

    def batch_of(mode: str, history: int, size: int) -> dict | None:
        for r in results:
            if r["mode"] == mode and r["history"] == history:
                return next((b for b in r["batches"] if b["batch"] == size), None)
        return None

    for r in results:
        for b in r["batches"]:
            per_item = 1000 * b["dedupe_s"] / b["batch"]
            first = batch_of(r["mode"], first_history, b["batch"])
            vs_first = per_item / (1000 * first["dedupe_s"] / first["batch"]) if first else None
            base = batch_of("datasketch", r["history"], b["batch"])
            vs_base = b["dedupe_s"] / base["dedupe_s"] if base and r["mode"] == "index" else None
            lookup = f"{1000 * b['lookup_s']:.1f}" if b["lookup_s"] is not None else "-"
            print(
                f"{r['history']:>10,} {r['mode']:<11} {b['batch']:>6} {r['setup_s']:>8.1f} "
                f"{b['dedupe_s']:>9.3f} {per_item:>11.3f} {lookup:>9} "
                f"{f'{vs_first:.2f}x' if vs_first else '-':>14} {f'{vs_base:.2f}x' if vs_base else '-':>11} "
                f"{r['peak_rss_mb']:>11.0f} {b['matched_copies']:>6}/{b['copies']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    quality = sub.add_parser("quality")
    quality.add_argument("--limit", type=int, default=150, help="real base items (default 150)")
    sub.add_parser("real", help="only the real-page set (dev and held-out)")
    order = sub.add_parser("order", help="random arrival orders vs dedupe --rebuild")
    order.add_argument("--orders", type=int, default=20)
    perf = sub.add_parser("perf")
    perf.add_argument("--history", type=int, nargs="+", default=[100_000, 1_000_000])
    perf.add_argument(
        "--batch",
        type=int,
        nargs="+",
        default=[40, 200, 10_000],
        help="batch sizes, each planned against the same history (default: 40 200 10000)",
    )
    perf.add_argument(
        "--baseline-max",
        type=int,
        default=200_000,
        help="largest history for the in-memory datasketch baseline (it holds every band in "
        "Python dicts: several GB per million stories)",
    )
    case = sub.add_parser("_perf-case")
    case.add_argument("history", type=int)
    case.add_argument("mode", choices=["index", "datasketch"])
    case.add_argument("batches", type=int, nargs="+")
    args = parser.parse_args()
    if args.command == "quality":
        with tempfile.TemporaryDirectory(prefix="dedupe-eval-") as tmp:
            print_quality(evaluate_quality(Path(tmp) / "generated", args.limit))
            print_real([evaluate_real(Path(tmp) / part, part=part) for part in ("dev", "held-out")])
    elif args.command == "real":
        with tempfile.TemporaryDirectory(prefix="dedupe-eval-") as tmp:
            print_real([evaluate_real(Path(tmp) / part, part=part) for part in ("dev", "held-out")])
    elif args.command == "order":
        with tempfile.TemporaryDirectory(prefix="dedupe-order-") as tmp:
            print_order(evaluate_order(Path(tmp), args.orders))
    elif args.command == "perf":
        print_perf(run_perf(args.history, args.batch, args.baseline_max))
    else:
        print(json.dumps(perf_case(args.history, args.batches, args.mode)))


if __name__ == "__main__":
    main()
