-- The live engine's bar close at full universe size (500 symbols x several
-- strategies): claiming a bar's work must not cost one row per
-- (strategy, symbol), and per-bar writes must not grow with history.

-- One row per (strategy, timeframe, bar): the instruments one instance took
-- for that strategy at that bar. It is inserted inside the claiming
-- transaction, born done, so others see it only once the bar's work
-- committed (or never, if that instance died: its transaction rolls back and
-- the bar is claimable again). An instance that finds the row committed
-- claims only the instruments it lacks, one evaluation_claims row each.
CREATE TABLE evaluation_claim_sets (
  strategy_id    bigint NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
  timeframe      text NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
  bar_ts         timestamptz NOT NULL,
  claimed_by     text NOT NULL,
  instrument_ids bigint[] NOT NULL,
  done_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (strategy_id, timeframe, bar_ts)
);
CREATE INDEX evaluation_claim_sets_bar_idx ON evaluation_claim_sets (bar_ts);

-- Work offered row by row and not done yet, found without scanning history.
CREATE INDEX evaluation_claims_pending_idx ON evaluation_claims (timeframe, bar_ts) WHERE done_at IS NULL;

-- Recording a bar's rejections checks for the same refusal at that bar.
CREATE INDEX signal_rejections_bar_idx ON signal_rejections (bar_ts, instrument_id);
