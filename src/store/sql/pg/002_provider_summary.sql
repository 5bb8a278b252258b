-- SPDX-License-Identifier: MIT
-- The list form of a provider (protocol, title, ui) as JSON text, written
-- with the document, so a list is built without parsing every document.
-- '' for rows written before: the reader then derives it from doc.
ALTER TABLE providers ADD COLUMN summary TEXT NOT NULL DEFAULT '';
