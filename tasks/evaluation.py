"""Scoring enrichment against labelled material, in two formats.

- The hand-written sets (tests/fixtures/enrich/labelled, holdout): TOML files of
  ``[[item]]`` tables with the text beside the expectation; attribution and region-tagging
  precision and recall. They stay as unit tests of the rules.
- The real-page corpus (tests/fixtures/real/enrich/<part>/): one text file per real page
  and labels for every line, so the scorer also measures furniture left and article lines
  cut (``score_real``), the acceptance figures of the real-page issue.

Used by the test suite, ``newswire enrich --score DIR`` and ``benchmarks/enrich_eval.py``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from newswire.tasks.catalog import Feed
from newswire.tasks.datafiles import DataFileError
from newswire.tasks.enrich import EnrichmentRules, draft_entry, enrich_entry
from newswire.tasks.furniture import OutletHistory
from newswire.tasks.homoglyphs import fold_homoglyphs
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.tag import translit_key
from newswire.tasks.text import comparison_form


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


# ---------------------------------------------------------------------------------------
# The real-page corpus (tests/fixtures/real/enrich/<part>/): one text file per page (URL
# on line 1, the page text as shown), labels per part in labels-*.toml. Unlike the
# hand-written sets it labels every line (title, furniture, credit, article), so the
# scorer also measures what boilerplate removal leaves and what it cuts.
# ---------------------------------------------------------------------------------------

_SCRIPT_CODES = {
    "Latin": "Latn",
    "Cyrillic": "Cyrl",
    "Arabic": "Arab",
    "Han": "Hani",
    "Georgian": "Geor",
    "Armenian": "Armn",
    "Greek": "Grek",
    "Hangul": "Hang",
    "Devanagari": "Deva",
}


@dataclass(frozen=True)
class RealItem:
    """One labelled real page: its lines (line 1 = URL, as ``cat -n`` counts) and labels."""

    id: str
    url: str
    outlet: str
    feed_kind: str
    language: str
    script: str
    title: str
    lines: tuple[str, ...]
    agency: str | None
    agency_alt: frozenset[str]
    cited: frozenset[str]
    place: str | None
    countries: frozenset[str]
    primary: str | None
    in_region: bool
    title_lines: frozenset[int]
    furniture_lines: frozenset[int]
    credit_lines: frozenset[int]

    @property
    def text(self) -> str:
        """The page text after the URL line, as the entry's body."""
        return "\n".join(self.lines[1:])

    def line_kind(self, number: int) -> str | None:
        """title / furniture / credit / article for a non-blank line; None for blank lines."""
        if not self.lines[number - 1].strip():
            return None
        if number in self.title_lines:
            return "title"
        if number in self.furniture_lines:
            return "furniture"
        if number in self.credit_lines:
            return "credit"
        return "article"


def is_real_part(directory: Path) -> bool:
    """A part of the real corpus: per-item .txt files and labels-*.toml beside them."""
    return any(Path(directory).glob("labels-*.toml"))


# Parts of the real corpus that are never tuned on: scored, reported as aggregates only.
# A part is held out by its directory name: "heldout" and every later fresh set
# ("heldout2", labelled when the first one had been scored too often to prove anything)
# so a new held-out part is withheld from the day it is added, with no list to update.
HELD_OUT_PREFIX = "heldout"


def is_held_out(part: str) -> bool:
    """Whether the part named ``part`` (its directory name) is held out from tuning."""
    return part.startswith(HELD_OUT_PREFIX)


def real_parts(directory: Path) -> list[Path]:
    """``directory`` itself when it is a part, else its sub-directories that are parts
    (dev/, heldout/, heldout2/), in name order."""
    directory = Path(directory)
    if is_real_part(directory):
        return [directory]
    return (
        sorted(p for p in directory.iterdir() if p.is_dir() and is_real_part(p)) if directory.is_dir() else []
    )


def _line_numbers(table: dict, key: str, where: str, count: int) -> frozenset[int]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, int) and 2 <= v <= count for v in values):
        raise DataFileError(f"{where}: {key} must list line numbers between 2 and {count}")
    return frozenset(values)


def load_real_part(directory: Path) -> list[RealItem]:
    """Every labelled item of one part; a label without its text file (or a URL that does
    not match line 1) is an error naming the item."""
    directory = Path(directory)
    items: list[RealItem] = []
    for labels in sorted(directory.glob("labels-*.toml")):
        try:
            document = tomllib.loads(labels.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise DataFileError(f"{labels}: {error}") from error
        for table in document.get("item", []):
            where = f"{labels}: item {table.get('id')!r}"
            path = directory / f"{table.get('id')}.txt"
            try:
                lines = tuple(path.read_text(encoding="utf-8").split("\n"))
            except OSError as error:
                raise DataFileError(f"{where}: cannot read {path.name}: {error.strerror}") from error
            if lines[-1] == "":
                lines = lines[:-1]
            try:
                if lines[0].strip() != table["url"].strip():
                    raise DataFileError(f"{where}: url differs from line 1 of {path.name}")
                items.append(
                    RealItem(
                        id=table["id"],
                        url=table["url"],
                        outlet=table["outlet"],
                        feed_kind=table.get("feed_kind", "outlet"),
                        language=table.get("language", ""),
                        script=table.get("script", ""),
                        title=table.get("title", ""),
                        lines=lines,
                        agency=table.get("expect_agency") or None,
                        agency_alt=frozenset(table.get("expect_agency_alt", [])),
                        cited=frozenset(table.get("expect_cited", [])),
                        place=table.get("expect_place") or None,
                        countries=frozenset(table.get("expect_countries", [])),
                        primary=table.get("expect_primary") or None,
                        in_region=bool(table.get("expect_in_region", False)),
                        title_lines=_line_numbers(table, "title_lines", where, len(lines)),
                        furniture_lines=_line_numbers(table, "furniture_lines", where, len(lines)),
                        credit_lines=_line_numbers(table, "credit_lines", where, len(lines)),
                    )
                )
            except KeyError as error:
                raise DataFileError(f"{where}: missing key {error.args[0]!r}") from error
    if not items:
        raise DataFileError(f"{directory}: no labelled items (labels-*.toml with [[item]] tables)")
    return items


def real_feed(item: RealItem) -> Feed:
    """The feed an item is enriched as: its outlet, and ``kind = "wire"`` for an agency's own site."""
    return Feed(
        id=item.outlet,
        name=item.outlet,
        url=item.url,
        kind=item.feed_kind,
        language=item.language or "en",
        country="",
        outlet=item.outlet,
    )


def real_entry(item: RealItem) -> NormalisedEntry:
    entry = draft_entry(item.title, body=item.text, language=item.language or None, entry_id=item.id)
    entry.url = item.url
    entry.feed_id = entry.outlet_id = item.outlet
    return entry


def _kept_lines(item: RealItem, body: str) -> set[int]:
    """Line numbers of the item whose text is still in the clean body. Output paragraphs
    keep the order of the input lines and each comes from one line, possibly shortened
    (a dateline or sign-off taken off, an inline pattern removed): a greedy in-order
    alignment finds each paragraph's source line."""
    forms = [comparison_form(fold_homoglyphs(line)) for line in item.lines]
    body_forms = {comparison_form(fold_homoglyphs(p)) for p in body.split("\n") if p.strip()}
    kept: set[int] = set()
    cursor = 1  # index into forms (0 is the URL)
    for paragraph in (p for p in body.split("\n") if p.strip()):
        form = comparison_form(fold_homoglyphs(paragraph))
        if not form:
            continue
        # A text the page printed twice (a deck, then the same lead) is in the body once:
        # it is the article line's when the lines between the copies are gone.
        copies = [i for i in range(cursor, len(forms)) if forms[i] == form]
        article = next((i for i in copies if item.line_kind(i + 1) == "article"), None)
        if (
            len(copies) > 1
            and article is not None
            and article != copies[0]
            and not any(forms[j] in body_forms for j in range(copies[0] + 1, article) if forms[j])
        ):
            kept.add(article + 1)
            cursor = article + 1
            continue
        words = set(form.split())

        def same(line: str, form: str = form) -> bool:
            return line == form or (form in line and len(form) >= 0.4 * len(line))

        def similar(line: str, words: set[str] = words, form: str = form) -> bool:
            tokens = set(line.split())
            return len(words & tokens) >= 0.6 * len(tokens) and len(form) <= 1.2 * len(line)

        # The next line's tail: what is left of a line whose dateline went to the columns
        # ("... (MENAFN- Trend News Agency) TASHKENT, Uzbekistan, January 16. Uzbekistan"
        # leaves "Uzbekistan", a sentence the page wrapped onto the next lines).
        following = next((i for i in range(cursor, len(forms)) if forms[i]), None)
        if following is not None and forms[following].endswith(" " + form):
            kept.add(following + 1)
            cursor = following + 1
            continue
        # The same text first (a headline repeat must not claim a dateline line), then
        # a line most of whose words it keeps (an inline pattern removed from it).
        for test in (same, similar):
            index = next((i for i in range(cursor, len(forms)) if forms[i] and test(forms[i])), None)
            if index is not None:
                kept.add(index + 1)
                cursor = index + 1
                break
    return kept


def _is_taken_dateline(line: str, columns: dict, rules: EnrichmentRules) -> bool:
    """A short article line that is all dateline: attribution rightly moves it to columns
    (written as the place's exonym or as the page spells it: "Ashkhabad" for Ashgabat)."""
    place = columns.get("dateline_place")
    return (
        bool(place)
        and len(line.split()) <= 8
        and (
            translit_key(place)[:4] in translit_key(line)
            or rules.gazetteer.place_name(line.strip().rstrip(".,:-–— ")) == place
        )
    )


def _agency_key(name: str | None, rules: EnrichmentRules) -> str:
    """One spelling per agency: the registry's name for a known alias, then folded."""
    if not name:
        return ""
    canonical = rules.agencies.agency_named(name) or name
    return "".join(ch for ch in canonical.casefold() if ch.isalnum())


def _same_place(found: str | None, expected: str, rules: EnrichmentRules) -> bool:
    """The dateline's place is the labelled one, under any of its names: "Nur-Sultan" for
    Astana, "Kiev" for Kyiv, "Алматы" for Almaty. Two filing places ("Bishkek/Moscow"):
    the first is the dateline's place."""
    if not found:
        return False
    found, expected = found.split("/")[0].strip(), expected.split("/")[0].strip()
    if _place_key(found) == _place_key(expected):
        return True
    canonical = rules.gazetteer.canonical_place
    return _place_key(canonical(found)) == _place_key(canonical(expected))


def _place_key(name: str | None) -> str:
    if not name:
        return ""
    return "".join(ch for ch in comparison_form(name) if ch.isalnum())


@dataclass
class LineTally:
    total: int = 0
    counted: int = 0  # furniture left / article lines cut

    @property
    def share(self) -> float:
        return self.counted / self.total if self.total else 0.0


@dataclass
class RealScores:
    """Aggregate figures for one part, the acceptance measures of the issue."""

    part: str
    items: int = 0
    agency: Tally = field(default_factory=Tally)
    cited: Tally = field(default_factory=Tally)
    dateline: Tally = field(default_factory=Tally)
    false_datelines: int = 0
    furniture_left: LineTally = field(default_factory=LineTally)
    article_cut: LineTally = field(default_factory=LineTally)
    credit_left: LineTally = field(default_factory=LineTally)
    countries: Tally = field(default_factory=Tally)
    primary_correct: int = 0
    in_region_correct: int = 0
    language_correct: int = 0
    script_correct: int = 0
    seconds: float = 0.0
    mistakes: list[str] = field(default_factory=list)

    def measures(self) -> dict[str, float | int]:
        """Every figure by name (for JSON and the benchmark)."""
        n = max(self.items, 1)
        return {
            "items": self.items,
            "agency_precision": round(self.agency.precision, 4),
            "agency_recall": round(self.agency.recall, 4),
            "cited_precision": round(self.cited.precision, 4),
            "cited_recall": round(self.cited.recall, 4),
            "dateline_precision": round(self.dateline.precision, 4),
            "dateline_recall": round(self.dateline.recall, 4),
            "false_dateline_share": round(self.false_datelines / n, 4),
            "furniture_left_share": round(self.furniture_left.share, 4),
            "article_cut_share": round(self.article_cut.share, 4),
            "credit_left_share": round(self.credit_left.share, 4),
            "country_precision": round(self.countries.precision, 4),
            "country_recall": round(self.countries.recall, 4),
            "primary_accuracy": round(self.primary_correct / n, 4),
            "in_region_accuracy": round(self.in_region_correct / n, 4),
            "language_accuracy": round(self.language_correct / n, 4),
            "script_accuracy": round(self.script_correct / n, 4),
            "items_per_second": round(self.items / self.seconds, 1) if self.seconds else 0.0,
        }

    def table(self) -> list[tuple[str, str, str]]:
        """(measure, value, counts) rows for printing."""

        def counts(tally: Tally) -> str:
            return f"tp={tally.true_positive} fp={tally.false_positive} fn={tally.false_negative}"

        n = max(self.items, 1)
        return [
            ("wire agency precision", f"{self.agency.precision:.3f}", counts(self.agency)),
            ("wire agency recall", f"{self.agency.recall:.3f}", ""),
            (
                "cited agencies precision / recall",
                f"{self.cited.precision:.3f} / {self.cited.recall:.3f}",
                counts(self.cited),
            ),
            ("dateline recall", f"{self.dateline.recall:.3f}", counts(self.dateline)),
            (
                "false datelines (share of items)",
                f"{self.false_datelines / n:.3f}",
                f"{self.false_datelines}",
            ),
            (
                "furniture lines left",
                f"{self.furniture_left.share:.3f}",
                f"{self.furniture_left.counted} of {self.furniture_left.total}",
            ),
            (
                "article lines cut",
                f"{self.article_cut.share:.3f}",
                f"{self.article_cut.counted} of {self.article_cut.total}",
            ),
            (
                "credit lines left",
                f"{self.credit_left.share:.3f}",
                f"{self.credit_left.counted} of {self.credit_left.total}",
            ),
            ("country tags precision", f"{self.countries.precision:.3f}", counts(self.countries)),
            ("country tags recall", f"{self.countries.recall:.3f}", ""),
            ("primary country", f"{self.primary_correct / n:.3f}", f"{self.primary_correct} of {self.items}"),
            ("in_region", f"{self.in_region_correct / n:.3f}", f"{self.in_region_correct} of {self.items}"),
            ("language / script", f"{self.language_correct / n:.3f} / {self.script_correct / n:.3f}", ""),
            ("throughput (items/s)", f"{self.items / self.seconds:.1f}" if self.seconds else "-", ""),
        ]


def outlet_histories(items: list[RealItem]) -> dict[str, OutletHistory]:
    """Each outlet's line fingerprints over the items given: in scoring, an item's
    "history" is the other items of its outlet in the scored part."""
    histories: dict[str, OutletHistory] = {}
    for item in items:
        histories.setdefault(item.outlet, OutletHistory()).add_item(item.lines[1:])
    return histories


def enrich_real_item(
    item: RealItem, rules: EnrichmentRules, histories: dict[str, OutletHistory]
) -> NormalisedEntry:
    """One item enriched as an entry of its outlet's feed, with the outlet's other items
    of the part as its history (the item itself counted in it, as a stored item is)."""
    return enrich_entry(
        real_entry(item),
        rules,
        real_feed(item),
        history=histories.get(item.outlet),
        own_item_counted=True,
    )


def score_real(
    items: list[RealItem], rules: EnrichmentRules, part: str = "", use_history: bool = True
) -> RealScores:
    """Enrich every item as an entry of its outlet's feed and score it against its labels;
    with ``use_history``, each outlet's other items in the part are its history."""
    import time

    scores = RealScores(part=part, items=len(items))
    histories = outlet_histories(items) if use_history else {}
    if items:  # the language model and caches load on the first call: not per-item cost
        enrich_entry(real_entry(items[0]), rules, real_feed(items[0]))
    for item in items:
        started = time.perf_counter()
        entry = enrich_real_item(item, rules, histories)
        scores.seconds += time.perf_counter() - started
        _score_real_item(item, entry, rules, scores)
    return scores


def _score_real_item(
    item: RealItem, entry: NormalisedEntry, rules: EnrichmentRules, scores: RealScores
) -> None:
    columns = entry.enrichment
    miss = scores.mistakes.append
    # Wire agency: a hit when the column names the agency or one credited jointly.
    found = _agency_key(columns.get("wire_agency"), rules)
    accepted = {_agency_key(a, rules) for a in {item.agency, *item.agency_alt} if a}
    if item.agency and found in accepted:
        scores.agency.true_positive += 1
    else:
        if found:
            scores.agency.false_positive += 1
        if item.agency:
            scores.agency.false_negative += 1
        if found or item.agency:
            miss(f"{item.id}: agency {columns.get('wire_agency')!r}, expected {item.agency!r}")
    cited_found = {_agency_key(a, rules) for a in columns.get("cited_agencies") or []}
    cited_expected = {_agency_key(a, rules) for a in item.cited}
    scores.cited.true_positive += len(cited_found & cited_expected)
    scores.cited.false_positive += len(cited_found - cited_expected)
    scores.cited.false_negative += len(cited_expected - cited_found)
    if cited_found != cited_expected:
        miss(f"{item.id}: cited {sorted(cited_found)}, expected {sorted(cited_expected)}")
    # Dateline place (English exonym in the labels; a place written in another script
    # counts when the enrichment gives the exonym).
    place = columns.get("dateline_place")
    # Two filing places ("Bishkek/Moscow"): the first is the dateline's place.
    if item.place and _same_place(place, item.place, rules):
        scores.dateline.true_positive += 1
    else:
        if place:
            scores.dateline.false_positive += 1
            scores.false_datelines += 1
        if item.place:
            scores.dateline.false_negative += 1
        if place or item.place:
            miss(f"{item.id}: dateline {place!r}, expected {item.place!r}")
    # Lines: what is left of furniture and credits, what is cut of the article.
    kept = _kept_lines(item, entry.body or entry.summary)
    for number in range(2, len(item.lines) + 1):
        kind = item.line_kind(number)
        tally = {
            "furniture": scores.furniture_left,
            "article": scores.article_cut,
            "credit": scores.credit_left,
        }.get(kind or "")
        if tally is None:
            continue
        tally.total += 1
        left = number in kept
        if kind == "article" and not left and _is_taken_dateline(item.lines[number - 1], columns, rules):
            left = True  # a dateline on a line of its own ("NUR SULTAN, Kazakhstan") went to columns
        if kind == "article" and not left:
            tally.counted += 1
            miss(f"{item.id}: article line {number} cut: {item.lines[number - 1][:80]!r}")
        elif kind != "article" and left:
            tally.counted += 1
            miss(f"{item.id}: {kind} line {number} left: {item.lines[number - 1][:80]!r}")
    # Countries, primary country, in_region.
    codes = {c["code"] for c in columns.get("countries") or []}
    scores.countries.true_positive += len(codes & item.countries)
    scores.countries.false_positive += len(codes - item.countries)
    scores.countries.false_negative += len(item.countries - codes)
    if codes != item.countries:
        extra, missed = sorted(codes - item.countries), sorted(item.countries - codes)
        miss(f"{item.id}: countries extra {extra} missed {missed}")
    if (columns.get("primary_country") or None) == item.primary:
        scores.primary_correct += 1
    else:
        miss(f"{item.id}: primary {columns.get('primary_country')!r}, expected {item.primary!r}")
    if bool(columns.get("in_region")) == item.in_region:
        scores.in_region_correct += 1
    else:
        miss(f"{item.id}: in_region {columns.get('in_region')!r}, expected {item.in_region!r}")
    if (entry.language or "") == item.language:
        scores.language_correct += 1
    else:
        miss(f"{item.id}: language {entry.language!r}, expected {item.language!r}")
    script = _SCRIPT_CODES.get(columns.get("script") or "", columns.get("script") or "")
    if script == item.script or (script == "Hani" and item.script in ("Hans", "Hant")):
        scores.script_correct += 1
    else:
        miss(f"{item.id}: script {columns.get('script')!r}, expected {item.script!r}")
