-- SPDX-License-Identifier: MIT
-- The SAML assertion ids seen (as sqlite/007): a SHA-256 of the provider
-- and the assertion's id, kept until the assertion expires, so that a
-- replay is refused on every instance.
CREATE TABLE saml_assertions (
    hash        BYTEA PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);

CREATE INDEX saml_assertions_expiry ON saml_assertions(expires_at);
