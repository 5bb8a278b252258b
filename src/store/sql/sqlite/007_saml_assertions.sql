-- SPDX-License-Identifier: MIT
-- The SAML assertion ids seen, so that a replayed assertion is refused
-- (SPEC §7.4). The key is a SHA-256 of the provider and the assertion's id
-- (a provider's ids never collide with another's), kept until the
-- assertion expires; the purge deletes it then.
CREATE TABLE saml_assertions (
    hash        BLOB PRIMARY KEY,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX saml_assertions_expiry ON saml_assertions(expires_at);
