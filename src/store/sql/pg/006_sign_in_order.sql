-- SPDX-License-Identifier: MIT
-- Sign-in rows in the order they are made (as sqlite/006): a flow's key
-- begins with a number that grows with time, then the SHA-256 of the
-- state; one-time tokens get an identity in the order minted. The tables
-- are made anew: the few sign-ins in progress during the upgrade start
-- again, and tokens minted before it answer "Data not found".
DROP TABLE flows;

CREATE TABLE flows (
    key          BYTEA PRIMARY KEY,  -- 8 bytes of the state, then its SHA-256
    customer_id  TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    token_url    TEXT NOT NULL,
    verifier     TEXT NOT NULL,      -- PKCE code_verifier
    nonce        TEXT NOT NULL,
    request_id   TEXT NOT NULL,      -- SAML AuthnRequest ID, or ''
    expires_at   BIGINT NOT NULL
);

CREATE INDEX flows_expiry ON flows(expires_at);

-- auth_info marks a token taken and drops its data in one statement; the
-- purge deletes it with the expired ones.
DROP TABLE signin_tokens;

CREATE TABLE signin_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash         BYTEA NOT NULL UNIQUE, -- SHA-256 of the token
    customer_id  TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    token_url    TEXT NOT NULL,
    data         BYTEA NOT NULL,     -- auth_info's answer, sealed; empty once taken
    expires_at   BIGINT NOT NULL,
    taken        BOOLEAN NOT NULL DEFAULT false
);

CREATE INDEX signin_tokens_expiry ON signin_tokens(expires_at);
