/* SPDX-License-Identifier: MIT */
/*
 * In-process: group commit's batch (api_commit_batch) with the fault store
 * failing batch_begin, each store call of each write of the batch, and
 * batch_end. Each time every request of the batch answers a JSON 503 and
 * nothing of the batch is in the database afterwards; without a failure,
 * every write lands. Under the sanitizer build this also proves that no
 * failure path leaks.
 */
#include "fault_store.h"
#include "harness.h"

#define APP "layflfixkxlhgruitref"
#define LIST "/" CID_A "/v2/config/low/services/engage-v2/apps/" APP "/custom-providers"
#define OIDC                                                                                       \
    "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","        \
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"client_secret\":\"s\"}"
#define NWRITES 4
#define SITE "https://site.example/signed-in"

static struct fault_store *F;
static char auth[96], pol[UUID_LEN + 1], prov[320];

static void provision(void)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1];
    struct t_resp r = {0};
    t_setup();
    t_customer(CID_A, "[\"*:**\"]", 3600, id, secret);
    struct login_app app = {.id = APP,
                            .name = "a",
                            .realm = "https://r.example",
                            .token_urls = "[\"" SITE "\"]",
                            .settings = "{}"};
    struct err e = {0};
    cr_assert_eq(store_app_create(T_app.store, CID_A, &app, &e), ST_OK);
    t_token(CID_A, id, secret, "*:**", tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    t_call(&r, "POST", LIST, "application/json", auth, OIDC);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(prov, sizeof prov, LIST "/%s", t_jstr(r.json, "id"));
    t_call(&r, "POST", "/" CID_A "/config/tokenPolicies", "application/json", auth,
           "{\"title\":\"p\",\"allowedScopes\":[\"*:**\"]}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(pol, sizeof pol, "%s", json_string_value(r.json));
    t_resp_free(&r);
    F = fault_wrap(T_app.store);
    T_app.store = T_app.api.store = &F->base;
}

/* One queued write: its request, answer and arena. */
struct slot {
    struct arena a;
    struct api_req req;
    struct api_resp resp;
    struct api_write w;
    char body[256];
};

/* Four writes of four kinds: a policy, a client, a provider patch and a
 * secret rotation, matched as http/ matches them. */
static void writes(struct slot s[NWRITES], struct api_write *w[NWRITES])
{
    static char client_path[128];
    const char *method[NWRITES] = {"POST", "POST", "PATCH", "POST"};
    const char *path[NWRITES] = {"/" CID_A "/config/tokenPolicies", "/" CID_A "/config/clients",
                                 prov, client_path};
    const char *ct[NWRITES] = {"application/json", "application/json",
                               "application/merge-patch+json", NULL};
    for (int i = 0; i < NWRITES; i++) {
        memset(&s[i], 0, sizeof s[i]);
        arena_init(&s[i].a);
    }
    snprintf(s[0].body, sizeof s[0].body, "{\"title\":\"q\",\"allowedScopes\":[\"GET:**\"]}");
    snprintf(s[1].body, sizeof s[1].body, "{\"name\":\"c2\",\"tokenPolicy\":\"%s\"}", pol);
    snprintf(s[2].body, sizeof s[2].body, "{\"title\":\"patched\"}");
    struct client_list l = {0};
    struct err e = {0};
    cr_assert_eq(store_client_list(F->inner, &s[3].a, CID_A, &l, &e), ST_OK);
    snprintf(client_path, sizeof client_path, "/" CID_A "/config/clients/%s/secret", l.v[0].id);
    for (int i = 0; i < NWRITES; i++) {
        s[i].req = (struct api_req){.method = method[i],
                                    .path = path[i],
                                    .content_type = ct[i],
                                    .authorization = auth,
                                    .body = s[i].body,
                                    .body_len = strlen(s[i].body)};
        cr_assert(api_match(&s[i].a, &s[i].req) == API_RUN_WRITE, "%s %s does not write", method[i],
                  path[i]);
        s[i].w = (struct api_write){.a = &s[i].a, .req = &s[i].req, .resp = &s[i].resp};
        w[i] = &s[i].w;
    }
}

static void slots_free(struct slot s[NWRITES])
{
    for (int i = 0; i < NWRITES; i++)
        arena_cleanup(&s[i].a);
}

/* Runs the batch with store call fail_at failing (-1: none). */
static void run(struct slot s[NWRITES], int fail_at)
{
    struct api_write *w[NWRITES];
    writes(s, w);
    F->calls = 0;
    F->fail_at = fail_at;
    api_commit_batch(&T_app.api, w, NWRITES);
}

Test(api_batch, without_a_failure_every_write_of_the_batch_lands)
{
    struct slot s[NWRITES];
    unsigned char before[32], after[32];
    provision();
    t_digest(before);
    run(s, -1);
    const int want[NWRITES] = {201, 201, 200, 200};
    for (int i = 0; i < NWRITES; i++)
        cr_assert_eq(s[i].resp.status, want[i], "write %d: %d %.*s", i, s[i].resp.status,
                     (int)s[i].resp.body_len, s[i].resp.body);
    t_digest(after);
    cr_assert(memcmp(before, after, 32), "the batch wrote nothing");
    slots_free(s);
    t_teardown();
}

Test(api_batch, any_store_failure_in_a_batch_answers_503_to_all_and_keeps_nothing)
{
    struct slot s[NWRITES];
    provision();
    run(s, -1);
    int calls = F->calls; /* batch_begin, every write's calls, batch_end */
    slots_free(s);
    t_teardown();
    cr_assert_geq(calls, 2 + NWRITES, "too few store calls: %d", calls);
    for (int k = 0; k < calls; k++) {
        unsigned char before[32], after[32];
        provision();
        t_digest(before);
        run(s, k);
        for (int i = 0; i < NWRITES; i++) {
            cr_assert_eq(s[i].resp.status, 503, "call %d failing, write %d: %d %.*s", k, i,
                         s[i].resp.status, (int)s[i].resp.body_len, s[i].resp.body);
            json_t *body = json_loadb(s[i].resp.body, s[i].resp.body_len, 0, NULL);
            cr_assert(json_is_string(json_object_get(body, "error")), "call %d, write %d: %.*s", k,
                      i, (int)s[i].resp.body_len, s[i].resp.body);
            json_decref(body);
        }
        t_digest(after);
        cr_assert(!memcmp(before, after, 32), "call %d failing: part of the batch stayed", k);
        slots_free(s);
        t_teardown();
    }
}

static int flows(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_open(T_app.cfg.db, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM flows", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    int n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* A staged request, the sign-in start, behind a write in one batch: it
 * runs up to its write on the caller's thread, the batch makes only the
 * write, and its answer is made after the batch (api_staged_end). fail_at
 * -1: the 302 and one flow; else the batch fails, the start answers the
 * 503 page and no flow is kept. */
static void staged_run(int fail_at)
{
    struct slot s[2];
    struct api_write *w[2];
    char start[256];
    snprintf(start, sizeof start, "/" CID_A ".%s/start", strrchr(prov, '/') + 1);
    for (int i = 0; i < 2; i++) {
        memset(&s[i], 0, sizeof s[i]);
        arena_init(&s[i].a);
        w[i] = &s[i].w;
        s[i].w = (struct api_write){.a = &s[i].a, .req = &s[i].req, .resp = &s[i].resp};
    }
    snprintf(s[0].body, sizeof s[0].body, "{\"title\":\"q\",\"allowedScopes\":[\"GET:**\"]}");
    s[0].req = (struct api_req){.method = "POST",
                                .path = "/" CID_A "/config/tokenPolicies",
                                .content_type = "application/json",
                                .authorization = auth,
                                .body = s[0].body,
                                .body_len = strlen(s[0].body)};
    s[1].req = (struct api_req){.method = "GET", .path = start, .query = "token_url=" SITE};
    cr_assert(api_match(&s[0].a, &s[0].req) == API_RUN_WRITE);
    cr_assert(api_match(&s[1].a, &s[1].req) == API_RUN_STAGED);
    cr_assert(api_staged_begin(&T_app.api, &s[1].w), "%d %.*s", s[1].resp.status,
              (int)s[1].resp.body_len, s[1].resp.body);
    F->calls = 0;
    F->fail_at = fail_at;
    api_commit_batch(&T_app.api, w, 2);
    api_staged_end(&s[1].w);
    int want = fail_at < 0 ? 302 : 503;
    cr_assert_eq(s[1].resp.status, want, "call %d failing: %d %.*s", fail_at, s[1].resp.status,
                 (int)s[1].resp.body_len, s[1].resp.body);
    cr_assert_eq(s[0].resp.status, fail_at < 0 ? 201 : 503, "call %d failing", fail_at);
    cr_assert_eq(flows(), fail_at < 0 ? 1 : 0, "call %d failing", fail_at);
    for (int i = 0; i < 2; i++)
        arena_cleanup(&s[i].a);
}

Test(api_batch, a_staged_start_behind_a_write_lands_or_answers_503_with_its_batch)
{
    provision();
    staged_run(-1);
    int calls = F->calls;
    t_teardown();
    cr_assert_geq(calls, 4, "too few store calls: %d", calls);
    for (int k = 0; k < calls; k++) {
        provision();
        staged_run(k);
        t_teardown();
    }
}
