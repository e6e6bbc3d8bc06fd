-- Writer-side state in data/state/writer.duckdb. Readers never open this file (DuckDB locks
-- it against every other process while the writer holds it); they query the Parquet
-- lake and the exported snapshots instead. Every statement is idempotent.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per feed: what conditional GET needs, health, and when to poll next.
CREATE TABLE IF NOT EXISTS feed_state (
    feed_id               VARCHAR PRIMARY KEY,
    url                   VARCHAR,
    -- A permanent redirect from `url` to `current_url`: polled there from then on.
    current_url           VARCHAR,
    etag                  VARCHAR,
    last_modified         VARCHAR,
    last_body_sha256      VARCHAR,
    last_status           INTEGER,
    last_error            VARCHAR,
    last_error_kind       VARCHAR,
    last_fetched_at       TIMESTAMPTZ,
    last_success_at       TIMESTAMPTZ,
    last_new_entry_at     TIMESTAMPTZ,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    next_poll_at          TIMESTAMPTZ,
    health                VARCHAR NOT NULL DEFAULT 'active',
    entries_last_seen     INTEGER,
    updated_run_id        VARCHAR
);
-- Adaptive polling (issue 5): the feed's median gap between entries, and the interval
-- chosen at the last poll. Added with IF NOT EXISTS so older state files upgrade in place.
ALTER TABLE feed_state ADD COLUMN IF NOT EXISTS entry_gap_minutes DOUBLE;
ALTER TABLE feed_state ADD COLUMN IF NOT EXISTS poll_interval_minutes DOUBLE;

-- Keys that identify an appearance within its feed ('id:<entry id>', 'url:<canonical>').
CREATE TABLE IF NOT EXISTS appearance_keys (
    feed_id        VARCHAR NOT NULL,
    key            VARCHAR NOT NULL,
    appearance_id  VARCHAR NOT NULL,
    PRIMARY KEY (feed_id, key)
);

CREATE TABLE IF NOT EXISTS appearance_state (
    appearance_id  VARCHAR PRIMARY KEY,
    revision       INTEGER NOT NULL,
    content_hash   VARCHAR NOT NULL,
    story_id       VARCHAR NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL
);

-- Exact story keys across the whole history ('url:<canonical>', 'hash:<content hash>').
CREATE TABLE IF NOT EXISTS story_keys (
    key       VARCHAR PRIMARY KEY,
    story_id  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS story_state (
    story_id                      VARCHAR PRIMARY KEY,
    revision                      INTEGER NOT NULL,
    representative_appearance_id  VARCHAR NOT NULL,
    first_seen_at                 TIMESTAMPTZ NOT NULL
);

-- Near-duplicate index (docs/dedupe.md), one row per appearance so a batch can re-cluster
-- the components it touches the way a rebuild would. appearance_profiles: what
-- verification and the leader rank need about each appearance (MinHash signature, shingle
-- count, normalised headline, numbers, long-sentence hashes, agency, date, wire update
-- level, exact story keys), its story and its component (appearances connected by verified
-- pairs), so matching never scans Parquet. appearance_bands: the recent LSH band keys (and
-- headline keys) -> appearance, hash-joined against a batch's keys; past 2^20 rows a commit
-- merges them into the sorted run beside this file (warehouse/band_runs.py, meta.band_run),
-- which a lookup binary-searches instead of scanning. No ART index: ~40 bytes per row
-- (2.7 GB at 10^6 appearances), rebuilt on every connection. (The story-level tables of the
-- first version, story_profiles and story_bands, are dropped: `newswire dedupe --rebuild`
-- fills the new ones from the lake.)
DROP TABLE IF EXISTS story_profiles;
DROP TABLE IF EXISTS story_bands;
CREATE TABLE IF NOT EXISTS appearance_profiles (
    appearance_key  BIGINT PRIMARY KEY,
    appearance_id   VARCHAR NOT NULL,
    component       BIGINT NOT NULL,
    story_id        VARCHAR NOT NULL,
    fresh_story_id  VARCHAR NOT NULL,
    feed_id         VARCHAR NOT NULL,
    entry_id        VARCHAR NOT NULL,
    published_at    TIMESTAMPTZ NOT NULL,
    update_level    INTEGER NOT NULL,
    exact_keys      VARCHAR[] NOT NULL,
    signature       BLOB NOT NULL,
    shingle_count   INTEGER NOT NULL,
    title           VARCHAR NOT NULL,
    numbers         VARCHAR[] NOT NULL,
    sentences       UINTEGER[] NOT NULL,
    wire_agency     VARCHAR,
    wire_original   BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS appearance_bands (
    key             BIGINT NOT NULL,
    appearance_key  BIGINT NOT NULL
);

-- The run ledger. A run is committed when this row exists; `files` lists its staged ->
-- final Parquet moves so a crash after commit is finished on the next start.
CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR PRIMARY KEY,
    flow          VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    committed_at  TIMESTAMPTZ NOT NULL,
    published     BOOLEAN NOT NULL DEFAULT false,
    files         JSON NOT NULL,
    summary       JSON
);

-- Wire items (docs/wire-formats.md): the highest version loaded per guid, so an older
-- version that arrives later is recognised as superseded and never overwrites a newer one.
CREATE TABLE IF NOT EXISTS wire_versions (
    guid            VARCHAR PRIMARY KEY,
    wire_version    INTEGER NOT NULL,
    updated_run_id  VARCHAR
);

-- Directory-drop sources: every file picked up, by path + content hash, so a file is
-- processed once; size + mtime let a rescan skip reading files it has already seen.
CREATE TABLE IF NOT EXISTS drop_files (
    path          VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    feed_id       VARCHAR NOT NULL,
    size          BIGINT NOT NULL,
    mtime_ns      BIGINT NOT NULL,
    fetch_id      VARCHAR,
    picked_up_at  TIMESTAMPTZ NOT NULL,
    run_id        VARCHAR NOT NULL,
    PRIMARY KEY (path, sha256)
);

-- Outlet furniture (docs/enrichment.md): per outlet, fingerprints of the short lines its
-- items carried and on how many items each was seen. A line on many of an outlet's items
-- (its menu, widgets, appeals, footers) is that outlet's furniture. Written with the run's
-- commit, so a crashed run counts nothing twice.
CREATE TABLE IF NOT EXISTS outlet_lines (
    outlet_id     VARCHAR NOT NULL,
    fingerprint   VARCHAR NOT NULL,
    items         INTEGER NOT NULL,
    last_run_id   VARCHAR NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (outlet_id, fingerprint)
);
