-- SPDX-License-Identifier: MIT
-- Sign-in rows in the order they are made, so that a batch of writes
-- touches a page or two rather than a page each, as it did with 005's
-- tables keyed by random hashes.
--
-- A flow's key begins with a number that grows with time (the first bytes
-- of its state), then the SHA-256 of the state. The table is made anew: a
-- state sent before this version has no such prefix, so the few sign-ins
-- in progress during the upgrade start again.
DROP TABLE flows;

CREATE TABLE flows (
    key          BLOB PRIMARY KEY,  -- 8 bytes of the state, then its SHA-256
    customer_id  TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    token_url    TEXT NOT NULL,
    verifier     TEXT NOT NULL,     -- PKCE code_verifier
    nonce        TEXT NOT NULL,
    request_id   TEXT NOT NULL,     -- SAML AuthnRequest ID, or ''
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX flows_expiry ON flows(expires_at);

-- One-time tokens in the order minted, found by the SHA-256 of the token.
-- auth_info marks a token taken and drops its data, which changes its own
-- row only (a page written by the tokens of the same moment); the purge
-- deletes it with the expired ones. The data sealed in a token is now the
-- answer as sent, so tokens minted before this version (they live two
-- minutes by default, ten at most) are not kept: they answer "Data not
-- found" like expired ones.
DROP TABLE signin_tokens;

CREATE TABLE signin_tokens (
    id           INTEGER PRIMARY KEY,
    hash         BLOB NOT NULL UNIQUE, -- SHA-256 of the token
    customer_id  TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    token_url    TEXT NOT NULL,
    data         BLOB NOT NULL,     -- auth_info's answer, sealed; empty once taken
    expires_at   INTEGER NOT NULL,
    taken        INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX signin_tokens_expiry ON signin_tokens(expires_at);
