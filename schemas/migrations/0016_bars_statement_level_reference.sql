-- Bars: check the reference to instruments once per statement, not per row.
--
-- The foreign key bars.instrument_id -> instruments(id) ran one RI query
-- (SELECT ... FOR KEY SHARE) per inserted bar: more than half the time of a
-- bulk COPY of daily bars went there. The same guarantees now come from
-- statement-level triggers that see every new row at once (transition
-- tables):
--  * INSERT / UPDATE of bars: every instrument_id of the new rows must exist;
--    those instrument rows are locked FOR KEY SHARE until the writer commits
--    (exactly the lock the foreign key took), so a concurrent DELETE of the
--    instrument waits and then cascades to the committed bars.
--  * DELETE of instruments cascades to their bars (was ON DELETE CASCADE).
--  * Changing an instrument's id while bars reference it is refused (was
--    NO ACTION on update), and TRUNCATE instruments takes the bars with it.
-- Existing rows already satisfied the foreign key, so nothing is re-checked.

ALTER TABLE bars DROP CONSTRAINT bars_instrument_id_fkey;

CREATE FUNCTION bars_check_instrument_refs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  missing bigint;
BEGIN
  SELECT n.instrument_id INTO missing
    FROM (SELECT DISTINCT instrument_id FROM sf_new_bars) n
    LEFT JOIN (SELECT id FROM instruments
                WHERE id IN (SELECT instrument_id FROM sf_new_bars)
                FOR KEY SHARE) i ON i.id = n.instrument_id
   WHERE i.id IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "bars" violates the reference to instruments'
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (instrument_id)=(%s) is not present in table "instruments".',
                            missing);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER bars_instrument_ref_insert
  AFTER INSERT ON bars REFERENCING NEW TABLE AS sf_new_bars
  FOR EACH STATEMENT EXECUTE FUNCTION bars_check_instrument_refs();
CREATE TRIGGER bars_instrument_ref_update
  AFTER UPDATE ON bars REFERENCING NEW TABLE AS sf_new_bars
  FOR EACH STATEMENT EXECUTE FUNCTION bars_check_instrument_refs();

CREATE FUNCTION instruments_cascade_bars() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM bars WHERE instrument_id IN (SELECT id FROM sf_old_instruments);
  RETURN NULL;
END $$;

CREATE TRIGGER instruments_delete_bars
  AFTER DELETE ON instruments REFERENCING OLD TABLE AS sf_old_instruments
  FOR EACH STATEMENT EXECUTE FUNCTION instruments_cascade_bars();

CREATE FUNCTION instruments_keep_bar_refs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM bars WHERE instrument_id = OLD.id) THEN
    RAISE EXCEPTION 'update on table "instruments" would orphan bars of instrument %', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER instruments_id_change
  BEFORE UPDATE OF id ON instruments
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION instruments_keep_bar_refs();

CREATE FUNCTION instruments_truncate_bars() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE bars;
  RETURN NULL;
END $$;

CREATE TRIGGER instruments_truncate
  BEFORE TRUNCATE ON instruments
  FOR EACH STATEMENT EXECUTE FUNCTION instruments_truncate_bars();
