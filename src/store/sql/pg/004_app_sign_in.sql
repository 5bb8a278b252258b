-- SPDX-License-Identifier: MIT
-- What an app needs to sign people in (SPEC §7.1): its apiKey sealed with
-- the key file and a keyed-hash verifier (both NULL for an app made before
-- this migration, until the key is first read or rotated), its token_urls
-- (a JSON array) and settings (a JSON object; '{}' reads as the defaults).
ALTER TABLE apps ADD COLUMN api_key_sealed BYTEA;
ALTER TABLE apps ADD COLUMN api_key_verifier BYTEA;
ALTER TABLE apps ADD COLUMN token_urls TEXT NOT NULL DEFAULT '[]';
ALTER TABLE apps ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
