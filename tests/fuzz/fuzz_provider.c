/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: provider_validate, the per-protocol rules of a custom
 * provider document (fields, types, URLs, attribute_map, SAML
 * certificates), then the representation helpers on what it accepts. The
 * input is a JSON text, parsed as the API parses bodies (duplicate keys
 * refused), but any JSON value is let through to the validator.
 */
#include "fuzz.h"
#include "model/model.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!doc)
        return 0;
    struct err e = {0};
    if (provider_validate(doc, &e) == ST_OK) {
        static const struct provider_meta m = {.id = "6f1c2a57-9a54-4c55-8a0e-6a3f0f7e1d01",
                                               .created_at = "2026-01-01T00:00:00.000000000Z",
                                               .updated_at = "2026-01-01T00:00:00.000000000Z"};
        static const struct provider_links l = {.self = "https://sg.example.test/p",
                                                .collection = "https://sg.example.test/c",
                                                .callback = "https://sg.example.test/cb"};
        json_t *full = provider_to_json(doc, &m, &l);
        json_t *sum = provider_summary(doc);
        (void)provider_server_changed(full, full);
        provider_strip_server(full);
        json_decref(sum);
        json_decref(full);
    }
    json_decref(doc);
    return 0;
}
