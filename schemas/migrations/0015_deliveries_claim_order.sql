-- The delivery worker claims due rows ORDER BY next_attempt_at, id. A fan-out
-- writes thousands of rows with the same next_attempt_at (one transaction's
-- now()), and an index on next_attempt_at alone left every claim sorting all
-- of them by id. This index hands the claim its rows in order, so a claim
-- reads about as many rows as it takes.
CREATE INDEX deliveries_claim_idx ON deliveries (next_attempt_at, id)
  WHERE status IN ('pending', 'failed');
DROP INDEX deliveries_due_idx;
