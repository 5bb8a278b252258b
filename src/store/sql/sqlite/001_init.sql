-- SPDX-License-Identifier: MIT
-- Initial schema: tenants, token policies, configuration clients,
-- social-login apps, custom providers and revoked token identifiers.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE token_policies (
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    id                TEXT NOT NULL,
    title             TEXT NOT NULL,
    access_lifetime   INTEGER NOT NULL,
    refresh_lifetime  INTEGER NOT NULL,
    allowed_scopes    TEXT NOT NULL, -- scope tokens joined by single spaces
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id)
) WITHOUT ROWID;

CREATE TABLE clients (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT, -- bound into tokens; never reused
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    policy_id        TEXT NOT NULL,
    secret_sealed    BLOB NOT NULL,  -- nonce || XSalsa20-Poly1305 box
    secret_verifier  BLOB NOT NULL,  -- keyed BLAKE2b-256 of the secret
    created_at       INTEGER NOT NULL,
    UNIQUE (customer_id, id),
    UNIQUE (customer_id, name),
    FOREIGN KEY (customer_id, policy_id) REFERENCES token_policies(customer_id, id)
);

CREATE TABLE apps (
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    realm        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id)
) WITHOUT ROWID;

CREATE TABLE providers (
    customer_id    TEXT NOT NULL,
    app_id         TEXT NOT NULL,
    id             TEXT NOT NULL,
    protocol       TEXT NOT NULL,
    doc            TEXT NOT NULL,  -- client-set fields as JSON, secret removed
    secret_sealed  BLOB,
    etag           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (customer_id, app_id, id),
    FOREIGN KEY (customer_id, app_id) REFERENCES apps(customer_id, id)
) WITHOUT ROWID;

CREATE TABLE revocations (
    tag         BLOB PRIMARY KEY,  -- the token's 16-byte MAC, not the token
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX revocations_expiry ON revocations(expires_at);
