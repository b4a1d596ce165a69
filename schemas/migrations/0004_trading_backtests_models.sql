-- Paper trading, backtests, custom scans and trained models.

CREATE TABLE portfolios (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint REFERENCES users (id) ON DELETE CASCADE,  -- NULL: house portfolio
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  base_currency text NOT NULL DEFAULT 'USD' CHECK (base_currency ~ '^[A-Z]{3}$'),
  initial_cash  double precision NOT NULL CHECK (initial_cash >= 0),
  cash          double precision NOT NULL,
  peak_equity   double precision,
  follow_filters jsonb NOT NULL DEFAULT '{}',  -- which signals it follows
  active        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX portfolios_user_name_uq ON portfolios (coalesce(user_id, 0), name);

CREATE TABLE positions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  portfolio_id  bigint NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
  instrument_id bigint NOT NULL REFERENCES instruments (id),
  signal_id     uuid REFERENCES signals (id) ON DELETE SET NULL,
  quantity      double precision NOT NULL,   -- negative = short
  avg_price     double precision NOT NULL CHECK (avg_price > 0),
  opened_at     timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (portfolio_id, instrument_id)
);

CREATE TABLE trades (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  portfolio_id  bigint NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
  instrument_id bigint NOT NULL REFERENCES instruments (id),
  signal_id     uuid REFERENCES signals (id) ON DELETE SET NULL,
  side          text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity      double precision NOT NULL CHECK (quantity > 0),
  price         double precision NOT NULL CHECK (price > 0),
  fees          double precision NOT NULL DEFAULT 0 CHECK (fees >= 0),
  executed_at   timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trades_portfolio_idx ON trades (portfolio_id, executed_at);

CREATE TABLE backtest_runs (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             bigint REFERENCES users (id) ON DELETE SET NULL,
  strategy_version_id bigint REFERENCES strategy_versions (id) ON DELETE SET NULL,
  strategy_name       text NOT NULL,
  params              jsonb NOT NULL DEFAULT '{}',
  universe            jsonb NOT NULL DEFAULT '[]',
  timeframe           text NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
  period_start        timestamptz NOT NULL,
  period_end          timestamptz NOT NULL,
  status              text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  metrics             jsonb NOT NULL DEFAULT '{}',
  error               text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  CHECK (period_end > period_start)
);
CREATE INDEX backtest_runs_created_idx ON backtest_runs (created_at DESC);
CREATE INDEX backtest_runs_user_idx ON backtest_runs (user_id, created_at DESC);

CREATE TABLE backtest_trades (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id        uuid NOT NULL REFERENCES backtest_runs (id) ON DELETE CASCADE,
  instrument_id bigint REFERENCES instruments (id),
  symbol        text NOT NULL,
  side          text NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity      double precision NOT NULL CHECK (quantity > 0),
  entry_ts      timestamptz NOT NULL,
  entry_price   double precision NOT NULL CHECK (entry_price > 0),
  exit_ts       timestamptz,
  exit_price    double precision CHECK (exit_price > 0),
  exit_reason   text,
  pnl_pct       double precision,
  fees          double precision NOT NULL DEFAULT 0 CHECK (fees >= 0)
);
CREATE INDEX backtest_trades_run_idx ON backtest_trades (run_id, entry_ts);

-- Custom scans submitted through the API (a strategy over chosen symbols).
CREATE TABLE scans (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      bigint REFERENCES users (id) ON DELETE CASCADE,
  strategy_id  bigint REFERENCES strategies (id) ON DELETE SET NULL,
  symbols      jsonb NOT NULL DEFAULT '[]',
  params       jsonb NOT NULL DEFAULT '{}',
  status       text NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  results      jsonb,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX scans_user_idx ON scans (user_id, created_at DESC);
CREATE INDEX scans_queued_idx ON scans (created_at) WHERE status = 'queued';

CREATE TABLE models (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  version     text NOT NULL,
  feature_set text NOT NULL,
  params      jsonb NOT NULL DEFAULT '{}',
  metrics     jsonb NOT NULL DEFAULT '{}',
  file_path   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version)
);
