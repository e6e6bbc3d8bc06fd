-- Version 2: article pages fetched for full text are recorded with the raw payload they
-- were landed as, so an archive replay reads them from the raw store instead of the
-- network (flows/steps/enrich.py). The latest fetch of a page per feed is kept.
CREATE TABLE IF NOT EXISTS article_pages (
    feed_id      VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    final_url    VARCHAR,
    body_sha256  VARCHAR NOT NULL,
    content_type VARCHAR,
    fetched_at   TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR NOT NULL,
    PRIMARY KEY (feed_id, url)
);
