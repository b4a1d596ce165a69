-- Market data: instruments, bars, news and computed features.
-- Prices are double precision: they arrive as IEEE doubles from providers and
-- go back out to indicators/Lua as doubles, so storing them exactly as given
-- keeps a load -> store -> load round trip bit-identical.

CREATE TABLE instruments (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  symbol          text NOT NULL UNIQUE
                  CHECK (symbol ~ '^[A-Za-z0-9][A-Za-z0-9.^=/:_-]{0,31}$'),
  name            text,
  type            text NOT NULL DEFAULT 'equity'
                  CHECK (type IN ('equity', 'crypto', 'forex', 'commodity')),
  exchange        text,
  currency        text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  sector          text,
  market_cap      bigint CHECK (market_cap >= 0),
  active          boolean NOT NULL DEFAULT true,
  data_provider   text,            -- provider plugin id that feeds it
  provider_symbol text,            -- the symbol as that provider spells it
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instruments_sector_idx ON instruments (sector) WHERE active;

-- One row per bar; the primary key (instrument, timeframe, start) is both the
-- idempotency key of ingestion and the index of range scans.
CREATE TABLE bars (
  instrument_id bigint NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  timeframe     text NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
  ts_start      timestamptz NOT NULL,
  ts_end        timestamptz NOT NULL,
  open          double precision NOT NULL,
  high          double precision NOT NULL,
  low           double precision NOT NULL,
  close         double precision NOT NULL,
  volume        double precision NOT NULL DEFAULT 0,
  vwap          double precision,
  adj_factor    double precision NOT NULL DEFAULT 1,
  source        text NOT NULL,
  ingested_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instrument_id, timeframe, ts_start),
  CHECK (ts_end > ts_start),
  CHECK (open > 0 AND high > 0 AND low > 0 AND close > 0),
  CHECK (low <= open AND low <= close AND high >= open AND high >= close),
  CHECK (volume >= 0),
  CHECK (vwap IS NULL OR vwap > 0),
  CHECK (adj_factor > 0)
);
-- Loads ask by bar END time (what strategies see); ts_end is ts_start plus a
-- fixed length per timeframe, so this stays a narrow range scan.
CREATE INDEX bars_end_idx ON bars (instrument_id, timeframe, ts_end);

CREATE TABLE news_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instrument_id   bigint REFERENCES instruments (id) ON DELETE SET NULL,
  headline        text NOT NULL CHECK (length(headline) BETWEEN 1 AND 1000),
  url             text,
  source          text,
  published_at    timestamptz NOT NULL,
  content_snippet text,
  sentiment       double precision CHECK (sentiment BETWEEN -1 AND 1),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX news_events_instrument_idx ON news_events (instrument_id, published_at DESC);
CREATE INDEX news_events_published_idx ON news_events (published_at DESC);
CREATE UNIQUE INDEX news_events_url_uq ON news_events (source, url) WHERE url IS NOT NULL;

-- Structured (LLM or rule based) reading of one news event.
CREATE TABLE news_analysis (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  news_event_id       bigint NOT NULL REFERENCES news_events (id) ON DELETE CASCADE,
  event_type          text NOT NULL,   -- 'earnings_miss', 'lawsuit', 'guidance_cut'...
  severity            text NOT NULL CHECK (severity IN ('minor', 'moderate', 'severe')),
  time_horizon        text NOT NULL CHECK (time_horizon IN ('days', 'quarters', 'permanent')),
  company_specific    boolean NOT NULL,
  revenue_impact_pct  double precision,
  earnings_impact_pct double precision,
  credibility         double precision CHECK (credibility BETWEEN 0 AND 1),
  novelty             double precision CHECK (novelty BETWEEN 0 AND 1),
  sentiment           double precision CHECK (sentiment BETWEEN -1 AND 1),
  analysis            jsonb NOT NULL DEFAULT '{}',  -- the full structured output
  model               text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX news_analysis_event_idx ON news_analysis (news_event_id);

CREATE TABLE computed_features (
  instrument_id       bigint NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  ts                  timestamptz NOT NULL,
  feature_set         text NOT NULL,   -- 'oversold', 'ml_features'
  feature_set_version integer NOT NULL CHECK (feature_set_version >= 1),
  "values"            jsonb NOT NULL CHECK (jsonb_typeof("values") = 'object'),
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instrument_id, feature_set, feature_set_version, ts)
);
