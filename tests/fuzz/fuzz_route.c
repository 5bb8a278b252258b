/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: route matching and percent-decoding. The input goes through
 * util_pct_decode (both modes), then is split at the first ' ' into a
 * method and a raw target; its path (up to '?') is decoded by
 * util_path_decode as http/ does (refused when that fails) and sent
 * through api_handle (router, captures, bearer check, the GET
 * handlers) of a real app over a temporary SQLite database, with a token
 * that grants "GET:**" to customer FUZZ_CID. No sockets; nothing is
 * written to the database by any input.
 */
#include <stdio.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "fuzz.h"
#include "oauth/oauth.h"

#define FUZZ_CID "3cc14467-fd4f-437d-a0c0-0b3888dd2ee4"
#define FUZZ_POLICY "6f1c2a57-9a54-4c55-8a0e-6a3f0f7e1d01"
#define FUZZ_APP "fuzzappaaaaaaaaaaaaa"

static struct app App;
static char Dir[64];
static char Auth[sizeof OAUTH_BEARER + OAUTH_TOKEN_LEN + 1];

static int64_t fixed_now(void)
{
    return 1800000000;
}

static void fail(const char *what, const struct err *e)
{
    fprintf(stderr, "fuzz_route setup: %s: %s\n", what, e->msg);
    exit(1);
}

static void teardown(void)
{
    char path[128];
    app_close(&App);
    const char *files[] = {"t.db", "t.db-wal", "t.db-shm", "t.key"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", Dir, files[i]);
        unlink(path);
    }
    rmdir(Dir);
    free(App.cfg.db);
    free(App.cfg.key_file);
    free(App.cfg.public_url);
}

/* One customer, a policy granting GET:** and POST:config/clients, a
 * client, a login app; then a token for "GET:**" through the real token
 * endpoint. */
static void provision(void)
{
    struct err e = {0};
    if (store_customer_create(App.store, FUZZ_CID, &e) != ST_OK)
        fail("customer", &e);
    const char *scopes[] = {"GET:**", "POST:config/clients"};
    struct policy p = {.id = FUZZ_POLICY,
                       .title = "fuzz",
                       .access_lifetime = 3600,
                       .refresh_lifetime = 7776000,
                       .nscopes = 2,
                       .scopes = scopes};
    if (store_policy_create(App.store, FUZZ_CID, &p, &e) != ST_OK)
        fail("policy", &e);
    char secret[CLIENT_SECRET_LEN + 1];
    struct client c = {.name = "fuzz", .type = "confidential", .policy_id = FUZZ_POLICY};
    client_id_generate(c.id);
    client_secret_generate(secret);
    struct sealed_secret sec = {0};
    keys_seal(&App.keys, secret, CLIENT_SECRET_LEN, &sec.blob, &sec.len);
    keys_verifier(&App.keys, secret, CLIENT_SECRET_LEN, sec.verifier);
    enum st st = store_client_create(App.store, FUZZ_CID, &c, &sec, &e);
    free(sec.blob);
    if (st != ST_OK)
        fail("client", &e);
    struct login_app la = {.id = FUZZ_APP, .name = "fuzz", .realm = "https://sg.example.test"};
    if (store_app_create(App.store, FUZZ_CID, &la, &e) != ST_OK)
        fail("app", &e);

    char body[256];
    snprintf(body, sizeof body,
             "grant_type=client_credentials&client_id=%s&client_secret=%s&scope=GET:**", c.id,
             secret);
    struct api_req req = {.method = "POST",
                          .path = "/" FUZZ_CID "/login/token",
                          .content_type = MEDIA_FORM,
                          .body = body,
                          .body_len = strlen(body)};
    struct api_resp resp;
    struct arena a;
    arena_init(&a);
    api_handle(&App.api, &a, &req, &resp);
    json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "access_token"));
    if (resp.status != 200 || !tok) {
        fprintf(stderr, "fuzz_route setup: token: %d %.*s\n", resp.status, (int)resp.body_len,
                resp.body);
        exit(1);
    }
    snprintf(Auth, sizeof Auth, "%s %s", OAUTH_BEARER, tok);
    json_decref(j);
    arena_cleanup(&a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct err e = {0};
    if (util_init() != ST_OK)
        fail("util_init", &e);
    log_set_level(LOG_ERROR);
    snprintf(Dir, sizeof Dir, "/tmp/sg-fuzz-XXXXXX");
    if (!mkdtemp(Dir))
        fail("mkdtemp", &e);
    App.cfg.db = xmalloc(128);
    App.cfg.key_file = xmalloc(128);
    snprintf(App.cfg.db, 128, "%s/t.db", Dir);
    snprintf(App.cfg.key_file, 128, "%s/t.key", Dir);
    App.cfg.public_url = xstrdup("https://sg.example.test");
    App.now = fixed_now;
    if (app_open(&App, true, &e) != ST_OK)
        fail("app_open", &e);
    atexit(teardown);
    provision();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_strndup(data, size);
    char *dec = xmalloc(size + 1);
    (void)util_pct_decode(dec, in, size, true);
    (void)util_pct_decode(dec, in, size, false);

    size_t mlen, off = fuzz_split(data, size, ' ', &mlen);
    in[mlen] = '\0'; /* in = method, in + off = raw target */
    struct api_req req = {.method = in, .path = dec, .authorization = Auth, .body = ""};
    size_t plen = off < size ? strcspn(in + off, "?") : 0;
    if (util_path_decode(dec, in + off, plen) < 0) {
        req.refuse = ST_INVALID; /* as http/ does */
        req.refuse_why = "bad path";
    } else {
        /* the decoded path reads one way only: no control byte, and a '%'
         * only as the kept escapes "%25" and "%2F" */
        for (const char *p = dec; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f ||
                (*p == '%' && strncmp(p, "%25", 3) != 0 && strncmp(p, "%2F", 3) != 0))
                __builtin_trap();
    }
    struct api_resp resp;
    struct arena a;
    arena_init(&a);
    api_handle(&App.api, &a, &req, &resp);
    if (resp.status < 200 || resp.status > 599 || (resp.body_len && !resp.body))
        __builtin_trap();
    arena_cleanup(&a);
    free(dec);
    free(in);
    return 0;
}
