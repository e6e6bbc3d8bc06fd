"""Region tagging: which countries a story mentions, driven by a gazetteer file.

The gazetteer (``feeds/regions/<region>.toml``, plus the files it includes) lists each
country's names, demonyms, places and leaders in every script the desk reads; word forms
come from inflection rules in the same data, so "в Бишкеке" and "O'zbekistonda" match
without a list of every case. Matching is on whole words after case folding and removing
diacritics, over word n-grams (for "New Delhi", "Иссык-Куль").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tasks.datafiles import DataFileError, load_data_file
from tasks.desk import DEFAULT_DESK

DEFAULT_REGION = DEFAULT_DESK.region
# A title mention says more about what a story is about than one in paragraph nine.
TITLE_WEIGHT = 3
_TERM_KEYS = ("names", "demonyms", "places", "leaders")
_APOSTROPHES = str.maketrans({c: "'" for c in "’ʻʼ‘`´"})
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*'?", re.UNICODE)


# Every combining mark of the Basic Multilingual Plane, deleted in one str.translate (a
# per-character unicodedata.combining() test was a third of tagging time).
_DROP_COMBINING = dict.fromkeys(c for c in range(0x10000) if unicodedata.combining(chr(c)))


def fold(text: str) -> str:
    """Case-folded, diacritics removed, apostrophes unified: the form both the gazetteer
    and the text are compared in (ё and е, й and и fold together, as Russian writers do)."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    return text.translate(_DROP_COMBINING)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text).replace("-", " "))


def script_of(word: str) -> str:
    for ch in word:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return name.split()[0].capitalize() if name else "Other"
    return "Other"


@dataclass(frozen=True)
class InflectionRule:
    script: str
    ends_with: tuple[str, ...]
    replace: bool
    endings: tuple[str, ...]

    def forms(self, word: str) -> list[str]:
        if script_of(word) != self.script:
            return []
        for ending in sorted(self.ends_with, key=len, reverse=True):
            if word.endswith(ending) and len(word) > len(ending) + 1:
                stem = word[: len(word) - len(ending)] if self.replace else word
                return [stem + suffix for suffix in self.endings]
        return []


@dataclass
class Gazetteer:
    region_id: str
    region_name: str
    in_region: frozenset[str]
    # folded token tuple -> country code
    terms: dict[tuple[str, ...], str] = field(default_factory=dict)
    max_words: int = 1
    countries: frozenset[str] = frozenset()

    def mentions(self, text: str) -> Counter[str]:
        """Country code -> number of mentions in the text (longest match first)."""
        words = tokens(text)
        counts: Counter[str] = Counter()
        i = 0
        while i < len(words):
            for size in range(min(self.max_words, len(words) - i), 0, -1):
                code = self.terms.get(tuple(words[i : i + size]))
                if code:
                    counts[code] += 1
                    i += size
                    break
            else:
                i += 1
        return counts


def _collect(path: Path, seen: set[Path], rules: list[dict], countries: dict[str, list[str]]) -> dict:
    path = path.resolve()
    if path in seen:
        return {}
    seen.add(path)
    document = load_data_file(path, "region gazetteer")
    region = document.get("region", {})
    for name in region.get("include", []):
        _collect(path.parent / name, seen, rules, countries)
    rules.extend(document.get("inflection", []))
    for index, entry in enumerate(document.get("country", [])):
        code = entry.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code):
            raise DataFileError(f"{path}: country #{index + 1}: code {code!r} is not ISO 3166-1 alpha-2")
        unknown = set(entry) - {"code", *_TERM_KEYS}
        if unknown:
            raise DataFileError(f"{path}: country {code}: unknown key(s) {sorted(unknown)}")
        for key in _TERM_KEYS:
            values = entry.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise DataFileError(f"{path}: country {code}: {key} must be a list of strings")
            countries.setdefault(code, []).extend(values)
    return region


def load_gazetteer(path: str | Path = DEFAULT_REGION) -> Gazetteer:
    """A region file and everything it includes, merged; raises DataFileError when bad."""
    path = Path(path)
    rules_data: list[dict] = []
    countries: dict[str, list[str]] = {}
    region = _collect(path, set(), rules_data, countries)
    in_region = region.get("countries", [])
    missing = sorted(set(in_region) - set(countries))
    if not region or not in_region or missing:
        raise DataFileError(
            f"{path}: [region] must list countries defined by [[country]] entries"
            + (f" (no entry for {missing})" if missing else "")
        )
    rules = [
        InflectionRule(r["script"], tuple(r["ends_with"]), bool(r.get("replace")), tuple(r["endings"]))
        for r in rules_data
    ]
    gazetteer = Gazetteer(
        region_id=region.get("id", path.stem),
        region_name=region.get("name", path.stem),
        in_region=frozenset(in_region),
        countries=frozenset(countries),
    )
    # Exact names first so that an inflected form never steals a name of another country.
    exact: dict[tuple[str, ...], str] = {}
    inflected: dict[tuple[str, ...], str] = {}
    for code, names in countries.items():
        for name in names:
            words = tuple(tokens(name))
            if not words:
                continue
            exact.setdefault(words, code)
            # Rules see the word as written (й, ё intact), their forms are then folded.
            last = _TOKEN.findall(name.translate(_APOSTROPHES).casefold().replace("-", " "))[-1]
            for rule in rules:
                for form in rule.forms(last):
                    inflected.setdefault((*words[:-1], fold(form)), code)
    gazetteer.terms = {**inflected, **exact}
    gazetteer.max_words = max(len(words) for words in gazetteer.terms)
    return gazetteer


@dataclass(frozen=True)
class RegionTags:
    countries: list[dict[str, int | str]]
    primary_country: str | None
    in_region: bool
    region_score: float

    def as_columns(self) -> dict[str, object]:
        return {
            "countries": self.countries,
            "primary_country": self.primary_country,
            "in_region": self.in_region,
            "region_score": self.region_score,
        }


def tag_region(title: str, text: str, gazetteer: Gazetteer) -> RegionTags:
    """Countries with mention counts (title and text), the primary one (title mentions
    weigh ``TITLE_WEIGHT``; ties go to in-region countries), whether any in-region
    country is mentioned, and the in-region share of the weighted mentions."""
    in_title = gazetteer.mentions(title)
    in_text = gazetteer.mentions(text)
    counts = in_title + in_text
    weights = Counter({code: TITLE_WEIGHT * in_title[code] + in_text[code] for code in counts})
    ranked = sorted(counts, key=lambda c: (-weights[c], c not in gazetteer.in_region, c))
    total = sum(weights.values())
    regional = sum(weight for code, weight in weights.items() if code in gazetteer.in_region)
    return RegionTags(
        countries=[{"code": code, "mentions": counts[code]} for code in ranked],
        primary_country=ranked[0] if ranked else None,
        in_region=regional > 0,
        region_score=round(regional / total, 4) if total else 0.0,
    )
