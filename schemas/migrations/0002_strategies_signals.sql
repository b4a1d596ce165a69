-- Strategies, their loaded versions, signals and their per-bar performance.

CREATE TABLE strategies (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,100}$'),
  status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'error')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every distinct source text a strategy ran with; signals point at the one
-- that produced them.
CREATE TABLE strategy_versions (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  strategy_id  bigint NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
  content_hash text NOT NULL CHECK (length(content_hash) BETWEEN 8 AND 128),
  source       text NOT NULL,
  params       jsonb NOT NULL DEFAULT '{}',
  status       text NOT NULL DEFAULT 'loaded' CHECK (status IN ('loaded', 'rejected', 'retired')),
  load_errors  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (strategy_id, content_hash)
);

CREATE TABLE signals (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  strategy_id         bigint NOT NULL REFERENCES strategies (id),
  strategy_version_id bigint NOT NULL REFERENCES strategy_versions (id),
  instrument_id       bigint NOT NULL REFERENCES instruments (id),
  side                text NOT NULL CHECK (side IN ('buy', 'sell')),
  timeframe           text NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
  bar_ts              timestamptz NOT NULL,  -- END of the bar that produced it
  created_at          timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz,
  entry_price         double precision NOT NULL CHECK (entry_price > 0),
  current_price       double precision NOT NULL CHECK (current_price > 0),
  target_price        double precision CHECK (target_price > 0),
  stop_price          double precision CHECK (stop_price > 0),
  risk_reward         double precision CHECK (risk_reward >= 0),
  position_size_pct   double precision CHECK (position_size_pct BETWEEN 0 AND 100),
  max_risk_pct        double precision CHECK (max_risk_pct BETWEEN 0 AND 100),
  confidence          double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  model_attribution   jsonb NOT NULL DEFAULT '{}',
  features            jsonb NOT NULL DEFAULT '{}',
  summary             text NOT NULL DEFAULT '',
  triggering_news_id  bigint REFERENCES news_events (id) ON DELETE SET NULL,
  status              text NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'target_reached', 'stopped_out', 'expired',
                                        'manually_closed')),
  exit_price          double precision CHECK (exit_price > 0),
  exit_reason         text,
  exit_at             timestamptz,
  realized_pnl_pct    double precision,
  max_favorable_excursion_pct double precision,
  max_adverse_excursion_pct   double precision,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  -- A re-run of the same strategy on the same bar never duplicates a signal.
  CONSTRAINT signals_once_per_bar UNIQUE (strategy_id, instrument_id, timeframe, bar_ts),
  -- Open signals have no exit; closed ones say when they closed.
  CHECK ((status = 'active') = (exit_at IS NULL)),
  CHECK (expires_at IS NULL OR expires_at > bar_ts)
);
CREATE INDEX signals_status_created_idx ON signals (status, created_at DESC);
CREATE INDEX signals_created_idx ON signals (created_at DESC);
CREATE INDEX signals_strategy_created_idx ON signals (strategy_id, created_at DESC);
CREATE INDEX signals_instrument_created_idx ON signals (instrument_id, created_at DESC);
CREATE INDEX signals_active_idx ON signals (instrument_id) WHERE status = 'active';

-- One snapshot per bar while a signal is open.
CREATE TABLE signal_performance (
  signal_id          uuid NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
  bar_ts             timestamptz NOT NULL,
  price              double precision NOT NULL CHECK (price > 0),
  unrealized_pnl_pct double precision NOT NULL,
  days_held          double precision NOT NULL CHECK (days_held >= 0),
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (signal_id, bar_ts)
);

-- Intents the risk manager refused, with why.
CREATE TABLE signal_rejections (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  strategy_version_id bigint REFERENCES strategy_versions (id) ON DELETE SET NULL,
  instrument_id       bigint REFERENCES instruments (id) ON DELETE CASCADE,
  bar_ts              timestamptz NOT NULL,
  side                text CHECK (side IN ('buy', 'sell')),
  rule                text NOT NULL,   -- 'min_confidence', 'drawdown_halt'...
  detail              jsonb NOT NULL DEFAULT '{}',
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signal_rejections_created_idx ON signal_rejections (created_at DESC);

-- Work claims so several hosts never evaluate one (strategy, symbol, bar) twice.
CREATE TABLE evaluation_claims (
  strategy_id   bigint NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
  instrument_id bigint NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  timeframe     text NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
  bar_ts        timestamptz NOT NULL,
  claimed_by    text NOT NULL,
  claimed_at    timestamptz NOT NULL DEFAULT now(),
  done_at       timestamptz,
  PRIMARY KEY (strategy_id, instrument_id, timeframe, bar_ts)
);
