-- SPDX-License-Identifier: MIT
-- The sign-in runtime's rows (SPEC §7.3–§7.5). Flows and one-time tokens
-- are keyed by the SHA-256 of the state or token, never the value itself,
-- live minutes, are taken (deleted and returned) by one statement so only
-- one caller can use each, and are purged once expired. They carry no
-- foreign keys: a flow or token outliving its provider or app fails where
-- it is used, and expires soon after.
CREATE TABLE flows (
    hash         BYTEA PRIMARY KEY,  -- SHA-256 of the state
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

CREATE TABLE signin_tokens (
    hash         BYTEA PRIMARY KEY,  -- SHA-256 of the token
    customer_id  TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    token_url    TEXT NOT NULL,
    data         BYTEA NOT NULL,     -- the profile answer, sealed
    expires_at   BIGINT NOT NULL
);

CREATE INDEX signin_tokens_expiry ON signin_tokens(expires_at);

-- The issuer an OpenID provider proved on its first successful sign-in,
-- pinned while its auth_url and token_url (their fingerprint, 64 hex) stay
-- the same. Goes with its provider.
CREATE TABLE issuer_pins (
    customer_id  TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    endpoints    TEXT NOT NULL,
    iss          TEXT NOT NULL,
    PRIMARY KEY (customer_id, app_id, provider_id),
    FOREIGN KEY (customer_id, app_id, provider_id)
        REFERENCES providers(customer_id, app_id, id) ON DELETE CASCADE
);

-- auth_info finds the app by its apiKey's verifier. A key names one app:
-- unique, so a key can never resolve to two (NULLs, apps without a key
-- yet, do not count).
CREATE UNIQUE INDEX apps_api_key ON apps(api_key_verifier);

-- The sign-in routes name a provider by customer and provider id
-- ({c}.{p}), the chooser an app by its id alone.
CREATE INDEX providers_by_id ON providers(customer_id, id);
CREATE INDEX apps_by_id ON apps(id);
