-- Operational records: API usage (rate limits, billing, the `me` page) and
-- the audit log.

CREATE TABLE api_usage (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint REFERENCES users (id) ON DELETE CASCADE,  -- NULL: anonymous
  api_key_id  bigint REFERENCES api_keys (id) ON DELETE SET NULL,
  method      text NOT NULL,
  endpoint    text NOT NULL,    -- the route template, not the raw path
  status      integer NOT NULL CHECK (status BETWEEN 100 AND 599),
  latency_ms  double precision NOT NULL CHECK (latency_ms >= 0),
  ts          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_usage_user_ts_idx ON api_usage (user_id, ts);
CREATE INDEX api_usage_ts_idx ON api_usage (ts);

CREATE TABLE audit_log (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor  text NOT NULL,     -- 'user:42', 'system', 'cli'
  action text NOT NULL,     -- 'strategy.upload', 'user.tier_change'...
  target text,
  detail jsonb NOT NULL DEFAULT '{}',
  ts     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_ts_idx ON audit_log (ts);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, ts);
