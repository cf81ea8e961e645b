-- A passkey enrolled for a card (issue 16): the issuer then asks every
-- payment with that card for an assertion of it. Keyed by the card's
-- registry key (an HMAC of the number), never the number; the public key is
-- SPKI DER, base64url; `sign_count` is the last signature counter seen.
CREATE TABLE card_passkeys (
    card_key       TEXT    PRIMARY KEY REFERENCES cards (card_key),
    credential_id  TEXT    NOT NULL,
    public_key     TEXT    NOT NULL,
    sign_count     INTEGER NOT NULL CHECK (sign_count >= 0 AND sign_count <= 4294967295),
    enrolled_at_ms INTEGER NOT NULL
) STRICT;

-- Whether the customer was verified by the card's passkey for this
-- authorization (1), or by the card's codes only (0).
ALTER TABLE authorizations ADD COLUMN verified_by_passkey INTEGER NOT NULL DEFAULT 0;
