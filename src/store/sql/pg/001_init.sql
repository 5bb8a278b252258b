-- SPDX-License-Identifier: MIT
-- Initial schema: tenants, token policies, configuration clients,
-- social-login apps, custom providers and revoked token identifiers.
-- PostgreSQL's form of sqlite/001: BIGINT for times and numbers, BYTEA
-- for blobs, an identity (a sequence) for clients.seq.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

CREATE TABLE token_policies (
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    id                TEXT NOT NULL,
    title             TEXT NOT NULL,
    access_lifetime   BIGINT NOT NULL,
    refresh_lifetime  BIGINT NOT NULL,
    allowed_scopes    TEXT NOT NULL, -- scope tokens joined by single spaces
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (customer_id, id)
);

CREATE TABLE clients (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- bound into tokens; never reused
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    policy_id        TEXT NOT NULL,
    secret_sealed    BYTEA NOT NULL,  -- nonce || XSalsa20-Poly1305 box
    secret_verifier  BYTEA NOT NULL,  -- keyed BLAKE2b-256 of the secret
    created_at       BIGINT NOT NULL,
    UNIQUE (customer_id, id),
    UNIQUE (customer_id, name),
    FOREIGN KEY (customer_id, policy_id) REFERENCES token_policies(customer_id, id)
);

-- A policy's clients, for the check that deletes it (and the foreign key).
CREATE INDEX clients_by_policy ON clients(customer_id, policy_id);

CREATE TABLE apps (
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    realm        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, id)
);

CREATE TABLE providers (
    customer_id    TEXT NOT NULL,
    app_id         TEXT NOT NULL,
    id             TEXT NOT NULL,
    protocol       TEXT NOT NULL,
    doc            TEXT NOT NULL,  -- client-set fields as JSON, secret removed
    secret_sealed  BYTEA,
    etag           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (customer_id, app_id, id),
    FOREIGN KEY (customer_id, app_id) REFERENCES apps(customer_id, id)
);

CREATE TABLE revocations (
    tag         BYTEA PRIMARY KEY,  -- the token's 16-byte MAC, not the token
    expires_at  BIGINT NOT NULL
);

CREATE INDEX revocations_expiry ON revocations(expires_at);
