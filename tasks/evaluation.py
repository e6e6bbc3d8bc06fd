"""Scoring enrichment against a labelled set: attribution and region-tagging precision and
recall, the figures the issue sets targets for (attribution precision >= 0.98, country
precision >= 0.95, recall >= 0.9).

Labelled items are TOML files of ``[[item]]`` tables with the expectation beside the
text (see tests/fixtures/enrich/labelled/README.md). Used by the test suite and by
``benchmarks/enrich_eval.py``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tasks.catalog import Feed
from tasks.datafiles import DataFileError
from tasks.enrich import EnrichmentRules, draft_entry, enrich_entry
from tasks.normalise import NormalisedEntry


@dataclass(frozen=True)
class LabelledItem:
    id: str
    language: str
    feed: Feed
    title: str
    text: str
    agency: str | None
    place: str | None
    origin: str
    countries: frozenset[str]


@dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else 1.0


@dataclass
class Scores:
    items: int = 0
    attribution: Tally = field(default_factory=Tally)
    dateline: Tally = field(default_factory=Tally)
    countries: Tally = field(default_factory=Tally)
    origin_correct: int = 0
    mistakes: list[str] = field(default_factory=list)

    def table(self) -> list[tuple[str, str, str, str]]:
        """(measure, precision, recall, counts) rows for printing."""

        def row(name: str, tally: Tally) -> tuple[str, str, str, str]:
            counts = f"tp={tally.true_positive} fp={tally.false_positive} fn={tally.false_negative}"
            return name, f"{tally.precision:.3f}", f"{tally.recall:.3f}", counts

        return [
            row("attribution (wire_agency)", self.attribution),
            row("dateline place", self.dateline),
            row("country tags", self.countries),
            ("origin (accuracy)", f"{self.origin_correct / max(self.items, 1):.3f}", "", f"n={self.items}"),
        ]


def load_labelled(directory: Path) -> list[LabelledItem]:
    paths = sorted(Path(directory).glob("*.toml"))
    if not paths:
        raise DataFileError(f"{directory}: no labelled item files (*.toml) there")
    items = []
    for path in paths:
        for table in tomllib.loads(path.read_text(encoding="utf-8"))["item"]:
            language = "ru" if table["id"].startswith("ru-") else "en"
            feed = Feed(
                id="labelled",
                name=table["feed_name"],
                url="https://example.org/feed",
                kind=table["feed_kind"],
                language=language,
                country="US",
            )
            items.append(
                LabelledItem(
                    id=table["id"],
                    language=language,
                    feed=feed,
                    title=table["title"],
                    text=table["text"],
                    agency=table["expect_agency"] or None,
                    place=table["expect_place"] or None,
                    origin=table["expect_origin"],
                    countries=frozenset(table["expect_countries"]),
                )
            )
    return items


def labelled_entry(item: LabelledItem) -> NormalisedEntry:
    return draft_entry(item.title, summary=item.text, language=item.language, entry_id=item.id)


def _score_value(tally: Tally, expected: str | None, found: str | None) -> bool:
    if found and found == expected:
        tally.true_positive += 1
        return True
    if found:
        tally.false_positive += 1
    if expected:
        tally.false_negative += 1
    return expected == found


def score_labelled(items: list[LabelledItem], rules: EnrichmentRules) -> Scores:
    scores = Scores(items=len(items))
    for item in items:
        columns = enrich_entry(labelled_entry(item), rules, item.feed).enrichment
        found_agency, found_place = columns["wire_agency"], columns["dateline_place"]
        if not _score_value(scores.attribution, item.agency, found_agency):
            scores.mistakes.append(f"{item.id}: agency {found_agency!r}, expected {item.agency!r}")
        if not _score_value(scores.dateline, item.place, found_place):
            scores.mistakes.append(f"{item.id}: dateline {found_place!r}, expected {item.place!r}")
        if columns["origin"] == item.origin:
            scores.origin_correct += 1
        else:
            scores.mistakes.append(f"{item.id}: origin {columns['origin']!r}, expected {item.origin!r}")
        found = {c["code"] for c in columns["countries"]}
        scores.countries.true_positive += len(found & item.countries)
        scores.countries.false_positive += len(found - item.countries)
        scores.countries.false_negative += len(item.countries - found)
        if found != item.countries:
            extra, missed = sorted(found - item.countries), sorted(item.countries - found)
            scores.mistakes.append(f"{item.id}: countries extra {extra} missed {missed}")
    return scores
