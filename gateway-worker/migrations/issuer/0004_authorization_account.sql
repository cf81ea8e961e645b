-- The bank keeps each account on one of its ledger shards and finds a hold
-- or a capture on the shard of the account it draws on, so every capture,
-- void and refund names that account. The issuer records it with the
-- authorization (NULL for authorizations recorded before; those look the
-- account up by the card).
ALTER TABLE authorizations ADD COLUMN account_id TEXT;
