-- SPDX-License-Identifier: MIT
-- Facts about the installation rather than about its tenants: the check
-- value of the key file the database belongs to ("key_check", a keyed
-- BLAKE2b of a constant, which names the key without revealing it).
CREATE TABLE meta (
    name   TEXT PRIMARY KEY,
    value  BYTEA NOT NULL
);
