-- Bars: serve range loads from the primary key alone.
-- A second index on ts_end made every ingested bar pay for two index
-- insertions. A bar is never longer than a week (the longest timeframe is
-- 1d; a daily bar over a holiday weekend still spans one session), so a
-- load by bar END time scans the primary key from (from - 7 days) and
-- filters on ts_end.
DROP INDEX bars_end_idx;
ALTER TABLE bars ADD CONSTRAINT bars_length_check CHECK (ts_end - ts_start <= interval '7 days');
