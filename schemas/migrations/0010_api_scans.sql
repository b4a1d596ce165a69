-- Custom scans submitted through the API run a strategy FILE by name
-- (scripts/<name>.lua) that may never have produced a signal, so the scan
-- keeps the name itself; started_at and claimed_by tell a stuck scan from
-- a queued one when several hosts claim work.
ALTER TABLE scans ADD COLUMN strategy_name text NOT NULL DEFAULT ''
  CHECK (strategy_name ~ '^[A-Za-z0-9_.-]{0,100}$');
ALTER TABLE scans ADD COLUMN timeframe text NOT NULL DEFAULT '1d'
  CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d'));
ALTER TABLE scans ADD COLUMN started_at timestamptz;
ALTER TABLE scans ADD COLUMN claimed_by text;
