-- The per-card and per-address attempt limits moved from this table (read
-- before a decline was written, so attempts that ran together all passed)
-- to one AttemptBudget Durable Object per card and per address, which
-- serialises them. The rows here counted declines only; they are dropped.
DROP INDEX IF EXISTS declines_by_subject;
DROP TABLE IF EXISTS declines;
