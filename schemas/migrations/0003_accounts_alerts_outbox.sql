-- Accounts, API keys, watchlists, alert subscriptions and the delivery outbox.

CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
  display_name  text,
  password_hash text,              -- NULL for key-only accounts
  tier          text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'premium', 'pro', 'admin')),
  risk_profile  text NOT NULL DEFAULT 'moderate'
                CHECK (risk_profile IN ('conservative', 'moderate', 'aggressive')),
  timezone      text NOT NULL DEFAULT 'UTC',
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_uq ON users (lower(email));

-- Only a hash of each key is stored; the prefix lets a key be found and shown.
CREATE TABLE api_keys (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL DEFAULT '',
  key_prefix   text NOT NULL CHECK (length(key_prefix) BETWEEN 4 AND 32),
  key_hash     text NOT NULL UNIQUE,
  scopes       jsonb NOT NULL DEFAULT '[]',
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);
CREATE INDEX api_keys_prefix_idx ON api_keys (key_prefix);

CREATE TABLE watchlists (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, name)
);

CREATE TABLE watchlist_items (
  watchlist_id  bigint NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
  instrument_id bigint NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
  added_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (watchlist_id, instrument_id)
);

-- One alert rule of a user: what to watch (kind + filters) and where to send
-- it (channel = notifier, destination = address/URL/chat id).
CREATE TABLE alert_subscriptions (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind             text NOT NULL DEFAULT 'new_signal'
                   CHECK (kind IN ('new_signal', 'signal_update', 'price_cross', 'volume_spike',
                                   'indicator_threshold', 'news')),
  channel          text NOT NULL CHECK (channel ~ '^[a-z0-9_.-]{1,64}$'),
  destination      text NOT NULL CHECK (length(destination) BETWEEN 1 AND 2048),
  secret           text,             -- webhook signing secret
  filters          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(filters) = 'object'),
  active           boolean NOT NULL DEFAULT true,
  disabled_reason  text,
  quiet_hours_start time,
  quiet_hours_end   time,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL))
);
CREATE INDEX alert_subscriptions_active_idx ON alert_subscriptions (kind) WHERE active;
CREATE INDEX alert_subscriptions_user_idx ON alert_subscriptions (user_id);

-- The outbox: one row per (event, destination), written in the same
-- transaction as the event itself. Workers claim due rows with
-- FOR UPDATE SKIP LOCKED and hold them through a lease; a lease that runs out
-- (crashed worker) makes the row claimable again.
CREATE TABLE deliveries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,   -- stable across retries (webhook-id)
  event_type      text NOT NULL CHECK (event_type ~ '^[a-z_]+(\.[a-z_]+)*$'),
  signal_id       uuid REFERENCES signals (id) ON DELETE CASCADE,
  subscription_id bigint REFERENCES alert_subscriptions (id) ON DELETE SET NULL,
  channel         text NOT NULL,
  destination     text NOT NULL DEFAULT '',
  payload         jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_owner     text,
  lease_until     timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at)
  WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_status_idx ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_signal_idx ON deliveries (signal_id);
CREATE INDEX deliveries_subscription_idx ON deliveries (subscription_id, created_at DESC);

-- Every attempt a worker made (status, latency, error).
CREATE TABLE delivery_attempts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id  bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt      integer NOT NULL CHECK (attempt >= 1),
  worker_id    text NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('sent', 'failed', 'dead')),
  http_status  integer,
  latency_ms   double precision CHECK (latency_ms >= 0),
  error        text,
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, attempt);

CREATE TABLE signal_feedback (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signal_id  uuid NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  action     text CHECK (action IN ('ignored', 'bookmarked', 'executed', 'shared')),
  rating     integer CHECK (rating BETWEEN 1 AND 5),
  comment    text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (signal_id, user_id)
);
