/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: an idp run (SPEC §7.4) fed arbitrary answers. The input's
 * first byte chooses the run (bit 0: oauth2 rather than openidconnect;
 * 1: a profile_url; 2: the token answer form-encoded; 3: the first token
 * answer a 401; 4: an issuer pin; 5: an RFC 9207 iss parameter); the rest
 * is cut at NUL bytes into the bodies of the answers, in the order the run
 * asks (token endpoint, then discovery, key set, userinfo). Past the last
 * part every transfer fails. Asserts the run ends within a few requests,
 * with a known error and static texts, or with a subject, a document and
 * access credentials of the token answer's members alone.
 */
#include "fuzz.h"
#include "idp/idp.h"
#include "model/model.h"

#define MAX_FETCHES 8 /* token, retry, discovery, keys, refetch, userinfo */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

/* The access credentials hold what the run kept of the token answer, and
 * nothing else of it. */
static bool credentials_ok(const json_t *c)
{
    static const char *const known[] = {"accessToken", "expires", "refreshToken", "idToken",
                                        "scopes"};
    const char *key;
    json_t *v;
    size_t found = 0;
    json_object_foreach((json_t *)c, key, v)
    {
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            found += !strcmp(key, known[i]);
    }
    return json_is_object(c) && found == json_object_size(c) &&
           json_is_string(json_object_get(c, "accessToken"));
}

static bool known_error(const char *e)
{
    return !strcmp(e, IDP_ACCESS_DENIED) || !strcmp(e, IDP_LOGIN_FAILED) ||
           !strcmp(e, IDP_PROVIDER_ERROR);
}

/* Answers the run with the parts of data[0..size), one per request: the
 * parts are cut at each NUL byte (so n NULs make n + 1 parts). */
static void drive(struct idp_run *r, const uint8_t *data, size_t size, uint8_t ctl)
{
    struct net_request req;
    size_t off = 0;
    bool parts_left = true;
    for (int fetches = 1; idp_run_step(r, &req) == IDP_FETCH; fetches++) {
        if (fetches > MAX_FETCHES || !req.url || !req.method)
            __builtin_trap();
        struct net_response resp = {.st = ST_INTERNAL, .why = "could not connect"};
        if (parts_left) {
            size_t n = 0, next = fuzz_split(data + off, size - off, 0, &n);
            resp = (struct net_response){.st = ST_OK, .status = 200, .len = n};
            resp.body = fuzz_strndup(data + off, n);
            if (fetches == 1 && (ctl & 8))
                resp.status = 401;
            if (fetches <= 2 && (ctl & 4))
                strcpy(resp.content_type, MEDIA_FORM);
            parts_left = next > n; /* a NUL followed: another part, maybe empty */
            off += next;
        }
        idp_run_feed(r, &resp);
        free(resp.body);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t ctl = data[0];
    struct idp_provider p = {
        .cid = "c",
        .id = "p",
        .protocol = (ctl & 1) ? PROTO_OAUTH2 : PROTO_OIDC,
        .client_id = "client-1",
        .client_secret = "s3cr3t",
        .secret_len = 6,
        .auth_url = "https://idp.example/authorize",
        .token_url = "https://idp.example/token",
        .profile_url = ((ctl & 2) || (ctl & 1)) ? "https://idp.example/userinfo" : NULL,
        .callback = "https://sg.example/c.p/callback",
        .scope = "openid",
        .title = "T",
    };
    static const struct idp_flow f = {.state = "s", .verifier = "v", .nonce = "n-1"};
    struct idp_cache *cache = idp_cache_new();
    const struct idp_ctx ctx = {.cache = cache,
                                .now = 1700000000,
                                .skew = 120,
                                .pinned_issuer = (ctl & 16) ? "https://idp.example" : NULL};
    struct arena a;
    arena_init(&a);
    struct form params;
    const char *q = (ctl & 32) ? "code=c&iss=https%3A%2F%2Fidp.example" : "code=c";
    if (oauth_form_parse(&a, q, strlen(q), &params, NULL) != ST_OK)
        __builtin_trap();
    struct idp_run *r = idp_run_new(&ctx, &p, &f, &params);
    drive(r, data + 1, size - 1, ctl);
    const struct idp_result *res = idp_run_result(r);
    if (res->error) {
        if (!known_error(res->error) || !res->check || !res->description || res->doc)
            __builtin_trap();
    } else if (!res->subject || !*res->subject || !json_is_object(res->doc) ||
               !credentials_ok(res->access_credentials)) {
        __builtin_trap();
    }
    idp_run_free(r);
    idp_cache_free(cache);
    arena_cleanup(&a);
    return 0;
}
