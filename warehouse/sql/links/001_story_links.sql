-- Link index, version 1 (warehouse/story_links.py): its own DuckDB file,
-- data/state/links.duckdb, used only under the writer slot. Readers see story_links and
-- story_events through the Parquet snapshots of lake/state/ (warehouse/views.py).

-- One row per story the linker has seen: what its links were decided on.
CREATE TABLE IF NOT EXISTS link_profiles (
    story_id     VARCHAR PRIMARY KEY,
    day          INTEGER NOT NULL,  -- days since 1970-01-01 of published_at; -1 unknown
    published_at TIMESTAMPTZ,
    language     VARCHAR,
    outlet_id    VARCHAR,
    names        VARCHAR[],
    terms        VARCHAR[],
    figures      VARCHAR[],
    dates        VARCHAR[],
    countries    VARCHAR[],
    place        VARCHAR,
    agency       VARCHAR,
    length       INTEGER
);

-- Candidate keys: a name or figure of a story, bucketed by its day. Rows arrive roughly
-- in day order, so a lookup of a few days' keys reads only those days' row groups.
CREATE TABLE IF NOT EXISTS link_keys (
    key      VARCHAR NOT NULL,
    day      INTEGER NOT NULL,
    story_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS story_links (
    story_id       VARCHAR NOT NULL,  -- the smaller id of the pair
    other_story_id VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,  -- 'translation' | 'same_event'
    score          DOUBLE NOT NULL,
    evidence       JSON NOT NULL,
    run_id         VARCHAR NOT NULL,
    linked_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (story_id, other_story_id)
);

CREATE TABLE IF NOT EXISTS story_events (
    story_id    VARCHAR PRIMARY KEY,
    event_id    VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS link_index_meta (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
INSERT OR REPLACE INTO link_index_meta VALUES ('version', '1');
