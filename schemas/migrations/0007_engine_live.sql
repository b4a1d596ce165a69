-- The live engine: paper portfolios' equity over time and the performance
-- statistics it persists per strategy and period.

-- One mark-to-market point per portfolio and bar (cash + positions at the
-- bar's close), so a portfolio's P&L can be drawn over time.
CREATE TABLE portfolio_snapshots (
  portfolio_id bigint NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
  ts           timestamptz NOT NULL,   -- END of the bar the marks come from
  cash         double precision NOT NULL,
  equity       double precision NOT NULL,
  positions    integer NOT NULL CHECK (positions >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (portfolio_id, ts)
);

-- Statistics of a strategy's closed signals over a period ('7d', '30d',
-- '90d', 'all'), recomputed by the engine after signals close.
CREATE TABLE strategy_performance (
  strategy_id bigint NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
  period      text NOT NULL CHECK (period IN ('7d', '30d', '90d', 'all')),
  as_of       timestamptz NOT NULL,     -- newest exit the statistics include
  stats       jsonb NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (strategy_id, period)
);
