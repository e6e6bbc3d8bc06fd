"""The desk profile: which feed catalogue, region gazetteer, wire agencies, boilerplate
patterns and dedupe policy a desk runs with — one TOML file a desk copies and edits
(``feeds/desk.toml`` is the Central Asia desk and the default).

This module is the one place that knows where the bundled data files live. A profile is
resolved once per run into ``Settings.desk`` (tasks/settings.py) and passed down; no stage
looks the files up on its own. Paths in a desk file are relative to the file itself.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from newswire.tasks.datafiles import DataFileError

FEEDS_DIR = Path(__file__).resolve().parent.parent / "feeds"
DEFAULT_DESK_FILE = FEEDS_DIR / "desk.toml"
# The offline sample (feeds and article pages) that `newswire demo` and the tests serve.
SAMPLE_DIR = FEEDS_DIR / "sample"


class DeskError(DataFileError):
    """A desk file is unreadable, names an unknown key, or a file that does not exist."""


@dataclass(frozen=True)
class DeskProfile:
    """The data files of one desk (absolute paths)."""

    # Feed catalogue TOML (tasks/catalog.py): the default for --catalog.
    catalog: Path
    # Region gazetteer TOML (tasks/tag.py): which countries are "in region".
    region: Path
    # Wire agencies TOML (tasks/attribute.py): names, credits, syndication notes.
    agencies: Path
    # Boilerplate patterns TOML (tasks/boilerplate.py): outlet furniture to remove.
    boilerplate: Path
    # Near-duplicate thresholds TOML (tasks/cluster.py).
    dedupe_policy: Path
    # Saved queries TOML (tasks/saved_queries.py): the republished feeds, alerts, story page.
    outputs: Path

    def enrichment_rules(self):
        """The enrichment stage's rules from this desk's files (tasks/enrich.py), built once
        per process while the files are unchanged: the CLI checks them before Prefect starts
        and the flow in the same process uses them, and building the gazetteer and agency
        patterns costs ~1 s (2-14 s under load) each time; across processes the built rules
        come from a per-user disk cache (tasks/rules_cache.py)."""
        files = (self.region, self.agencies, self.boilerplate)
        return _enrichment_rules(*files, stamps=tuple(_file_stamp(Path(path)) for path in files))

    def dedupe(self):
        """The near-duplicate policy from this desk's file (tasks/cluster.py)."""
        from newswire.tasks.cluster import load_policy

        return load_policy(self.dedupe_policy)

    def saved_queries(self):
        """The saved queries from this desk's file (tasks/saved_queries.py)."""
        from newswire.tasks.saved_queries import load_outputs

        return load_outputs(self.outputs)


def load_desk(path: str | Path, base: DeskProfile | None = None) -> DeskProfile:
    """The desk named by the TOML at ``path``; a file it leaves out is ``base``'s (the
    default desk's unless given)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DeskError(f"{path}: cannot read the desk profile: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise DeskError(f"{path}: the desk profile is not valid TOML: {error}") from error
    known = {f.name for f in fields(DeskProfile)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DeskError(f"{path}: unknown key(s) {unknown} in the desk profile (known: {sorted(known)})")
    files = {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise DeskError(f"{path}: {name} must be a file path (a string), not {value!r}")
        files[name] = with_file(path, name, (path.parent / value).resolve())
    if base is None:
        missing = sorted(known - set(files))
        if missing:
            raise DeskError(f"{path}: the default desk profile must name every file; missing {missing}")
        return DeskProfile(**files)
    return replace(base, **files)


def with_file(where: str | Path, name: str, file: Path) -> Path:
    """``file``, after checking it exists (the message names the setting and where it came from)."""
    if not file.is_file():
        raise DeskError(f"{where}: {name} = {str(file)!r}: no such file")
    return file


DEFAULT_DESK = load_desk(DEFAULT_DESK_FILE)


def _file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of a data file: a file changed since is loaded again."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=8)
def _enrichment_rules(region: Path, agencies: Path, boilerplate: Path, stamps: tuple):
    # Imported here, not at the top: the stages take their defaults from this module.
    from newswire.tasks.enrich import EnrichmentRules
    from newswire.tasks.rules_cache import cached_build

    # Built once per user while code and files are unchanged (tasks/rules_cache.py).
    return cached_build(
        (region, agencies, boilerplate),
        lambda: EnrichmentRules.load(region=region, agencies=agencies, boilerplate=boilerplate),
    )
