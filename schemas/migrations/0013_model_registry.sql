-- The model registry: versions of a named model, what each was trained on,
-- and which version is active (the one strategies load by name).
-- Versions are whole numbers as text (the column predates this migration):
-- 1, 2, 3 ... per name, assigned by the store at registration.
ALTER TABLE models
  ADD COLUMN component   text NOT NULL DEFAULT 'xgboost',
  ADD COLUMN label       text,
  ADD COLUMN data_from   timestamptz,
  ADD COLUMN data_to     timestamptz,
  ADD COLUMN symbols     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(symbols) = 'array'),
  ADD COLUMN active      boolean NOT NULL DEFAULT false,
  ADD COLUMN activated_at timestamptz,
  ADD CONSTRAINT models_version_number CHECK (version ~ '^[1-9][0-9]{0,8}$'),
  ADD CONSTRAINT models_data_range CHECK (data_to IS NULL OR data_from IS NULL OR data_to >= data_from);

-- At most one active version per name.
CREATE UNIQUE INDEX models_active_uq ON models (name) WHERE active;
CREATE INDEX models_name_idx ON models (name, created_at DESC);
