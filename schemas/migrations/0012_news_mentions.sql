-- News items name several instruments, and some sources give a stable id but
-- no URL. news_events keeps ONE row per item (news_analysis and signals point
-- at it), de-duplicated by (source, url) and now also by (source, external_id);
-- which instruments an item mentions moves to news_event_instruments, one row
-- per (item, instrument). news_events.instrument_id stays as the first
-- mention, for readers that want one.

ALTER TABLE news_events
  ADD COLUMN external_id  text CHECK (length(external_id) BETWEEN 1 AND 512),
  ADD COLUMN score        double precision,
  ADD COLUMN upvote_ratio double precision CHECK (upvote_ratio BETWEEN 0 AND 1),
  ADD COLUMN comments     bigint CHECK (comments >= 0),
  ADD COLUMN extra        jsonb CHECK (extra IS NULL OR jsonb_typeof(extra) = 'object');

CREATE UNIQUE INDEX news_events_external_id_uq ON news_events (source, external_id)
  WHERE external_id IS NOT NULL;

CREATE TABLE news_event_instruments (
  news_event_id bigint NOT NULL REFERENCES news_events (id) ON DELETE CASCADE,
  instrument_id bigint NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  -- A copy of news_events.published_at, so "recent news of a symbol" is one
  -- index range scan.
  published_at  timestamptz NOT NULL,
  PRIMARY KEY (news_event_id, instrument_id)
);
CREATE INDEX news_event_instruments_recent_idx
  ON news_event_instruments (instrument_id, published_at DESC);

INSERT INTO news_event_instruments (news_event_id, instrument_id, published_at)
  SELECT id, instrument_id, published_at FROM news_events WHERE instrument_id IS NOT NULL;
