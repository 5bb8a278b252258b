/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the sign-in runtime's synchronous routes (SPEC §7) through
 * the real router, over a temporary SQLite store made once: customer
 * FUZZ_CID with app APP1 (token_urls https://shop.example/ and
 * http://localhost:8080/cb, one OpenID Connect provider) and app APP2
 * (https://other.example/). The input's first byte chooses the request:
 *
 *   bits 0-1  GET /{c}.{p}/start, GET /signin/{app}, GET or POST
 *             /api/v2/auth_info
 *   bits 2-3  POST's Content-Type: form, multipart (boundary "sgfuzz"),
 *             the rest's first line, none
 *   bit 4     start: another customer's path (404); chooser: an unknown
 *             app; POST: the next line of the rest is the query
 *   bits 5-6  the client's address (one of four, for the failure limits)
 *   bit 7     the clock moves an hour on first (limits and tokens expire)
 *
 * The rest is the query (GET; cut at a NUL byte, as a C string) or the
 * body (POST). In both, "@K" and "@L" stand for APP1's and APP2's apiKey,
 * "@T" for a one-time token of APP1 minted for this input (bound to
 * "@U", SITE), "@E" for an expired one, "@O" for one of APP2: without
 * them no input could reach past the key and token checks.
 *
 * Asserted on every answer: a status in {200, 302, 400, 404, 429, 503},
 * each from its route only; a 302 goes to the provider's auth_url and
 * carries neither the token_url nor a byte a URL may not hold; every page
 * is made of the runtime's own tags with escaped text and the security
 * headers, an error page names a known code and reflects no input, a
 * token_url holding markup never appears in a page; auth_info answers
 * Engage's JSON ("stat"), "ok" only for a token minted for this input.
 * Expired flows and tokens are purged every PURGE_EVERY inputs.
 */
#include <sodium.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "fuzz.h"
#include "model/model.h"
#include "oauth/oauth.h"

#define FUZZ_CID "3cc14467-fd4f-437d-a0c0-0b3888dd2ee4"
#define OTHER_CID "e0a70b4f-1eef-4856-bcdb-f050fee66aae"
#define APP1 "fuzzappaaaaaaaaaaaaa"
#define APP2 "fuzzappbbbbbbbbbbbbb"
#define NO_APP "fuzzappzzzzzzzzzzzzz"
#define REALM "https://login.shop.example"
#define AUTH_URL "https://idp.example/authorize?tenant=7"
#define SITE "https://shop.example/after-login"
#define REQ_ID "fuzz-7"
#define ADMIN_P "/" FUZZ_CID "/v2/config/low/services/engage-v2/apps/"
#define IDENT1 REALM "/app1/id/alice"
#define IDENT2 REALM "/app2/id/bob"
#define PURGE_EVERY 256
#define MINT_MAX 4    /* tokens minted per input at most */
#define EXPAND_MAX 16 /* placeholders replaced per input at most */
#define INPUT_MAX 8192

#define trap_unless(cond)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static struct app App;
static char Dir[64];
static int64_t Clock = 1800000000;
static char Admin[sizeof OAUTH_BEARER + OAUTH_TOKEN_LEN + 1];
static char Pid[UUID_LEN + 1], Key1[APP_KEY_LEN + 1], Key2[APP_KEY_LEN + 1];
static unsigned long Runs;

static int64_t fuzz_now(void)
{
    return Clock;
}

static void fail(const char *what, const char *why)
{
    fprintf(stderr, "fuzz_signin setup: %s: %s\n", what, why);
    exit(1);
}

/* ---- setup --------------------------------------------------------------- */

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

/* One admin call through the router; its JSON answer (decref it) when the
 * status is want, else the setup fails. */
static json_t *admin(const char *method, const char *path, const char *body, int want)
{
    struct api_req req = {.method = method,
                          .path = path,
                          .query = "",
                          .id = REQ_ID,
                          .content_type = body ? "application/json" : NULL,
                          .authorization = Admin,
                          .body = body ? body : "",
                          .body_len = body ? strlen(body) : 0};
    struct api_resp resp;
    struct arena a;
    arena_init(&a);
    api_handle(&App.api, &a, &req, &resp);
    json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
    if (resp.status != want || !j) {
        fprintf(stderr, "fuzz_signin setup: %s %s: %d %.*s\n", method, path, resp.status,
                (int)resp.body_len, resp.body);
        exit(1);
    }
    arena_cleanup(&a);
    return j;
}

/* A customer whose policy grants "*:**", one client, a token for it. */
static void provision_admin(void)
{
    struct err e = {0};
    if (store_customer_create(App.store, FUZZ_CID, &e) != ST_OK)
        fail("customer", e.msg);
    const char *scopes[] = {"*:**"};
    struct policy p = {
        .title = "fuzz", .access_lifetime = 3600, .refresh_lifetime = 7776000, .nscopes = 1};
    p.scopes = scopes;
    util_uuid_v4(p.id);
    if (store_policy_create(App.store, FUZZ_CID, &p, &e) != ST_OK)
        fail("policy", e.msg);
    char secret[CLIENT_SECRET_LEN + 1];
    struct client c = {.name = "fuzz", .type = "confidential"};
    memcpy(c.policy_id, p.id, sizeof c.policy_id);
    client_id_generate(c.id);
    client_secret_generate(secret);
    struct sealed_secret sec = {0};
    keys_seal(&App.keys, secret, CLIENT_SECRET_LEN, &sec.blob, &sec.len);
    keys_verifier(&App.keys, secret, CLIENT_SECRET_LEN, sec.verifier);
    enum st st = store_client_create(App.store, FUZZ_CID, &c, &sec, &e);
    free(sec.blob);
    if (st != ST_OK)
        fail("client", e.msg);
    char body[256], path[96];
    snprintf(body, sizeof body,
             "grant_type=client_credentials&client_id=%s&client_secret=%s&scope=*:**", c.id,
             secret);
    snprintf(path, sizeof path, "/%s/login/token", FUZZ_CID);
    struct api_req req = {.method = "POST",
                          .path = path,
                          .query = "",
                          .content_type = MEDIA_FORM,
                          .body = body,
                          .body_len = strlen(body)};
    struct api_resp resp;
    struct arena a;
    arena_init(&a);
    api_handle(&App.api, &a, &req, &resp);
    json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "access_token"));
    if (resp.status != 200 || !tok)
        fail("token", "no access token");
    snprintf(Admin, sizeof Admin, "%s %s", OAUTH_BEARER, tok);
    json_decref(j);
    arena_cleanup(&a);
}

static void add_app(const char *id, const char *name, const char *token_urls, char *key_out)
{
    struct login_app la = {.name = name, .realm = REALM};
    snprintf(la.id, sizeof la.id, "%s", id);
    login_app_defaults(&la);
    la.token_urls = token_urls;
    struct err e = {0};
    if (store_app_create(App.store, FUZZ_CID, &la, &e) != ST_OK)
        fail("app", e.msg);
    char path[160];
    snprintf(path, sizeof path, ADMIN_P "%s/apiKey", id);
    json_t *j = admin("GET", path, NULL, 200);
    snprintf(key_out, APP_KEY_LEN + 1, "%s", json_string_value(json_object_get(j, "apiKey")));
    json_decref(j);
    if (strlen(key_out) != APP_KEY_LEN)
        fail("apiKey", path);
}

/* The two apps and APP1's provider, made through the admin API; the
 * names and the title hold markup so that every page escapes them. */
static void provision(void)
{
    provision_admin();
    add_app(APP1, "Shop & \"Co\" <b>", "[\"https://shop.example/\",\"http://localhost:8080/cb\"]",
            Key1);
    add_app(APP2, "Other", "[\"https://other.example/\"]", Key2);
    json_t *j = admin("POST", ADMIN_P APP1 "/custom-providers",
                      "{\"title\":\"Example IdP\",\"protocol\":\"openidconnect\","
                      "\"auth_url\":\"" AUTH_URL "\","
                      "\"token_url\":\"https://idp.example/token\",\"client_id\":\"shop\","
                      "\"client_secret\":\"s3cret\",\"scopes\":[\"profile\"],"
                      "\"ui\":{\"title\":\"Sign in with <Example> & 'Co'\","
                      "\"icon_url\":\"https://idp.example/icon.png\"}}",
                      201);
    snprintf(Pid, sizeof Pid, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (util_init() != ST_OK)
        fail("util_init", "failed");
    log_set_level(LOG_ERROR);
    /* tmpfs when there is one: every start is a durable write */
    snprintf(Dir, sizeof Dir, "%s/sg-fuzz-XXXXXX", access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
    if (!mkdtemp(Dir))
        fail("mkdtemp", Dir);
    App.cfg.db = xmalloc(128);
    App.cfg.key_file = xmalloc(128);
    snprintf(App.cfg.db, 128, "%s/t.db", Dir);
    snprintf(App.cfg.key_file, 128, "%s/t.key", Dir);
    App.cfg.public_url = xstrdup(REALM);
    App.now = fuzz_now;
    struct err e = {0};
    if (app_open(&App, true, &e) != ST_OK)
        fail("app_open", e.msg);
    atexit(teardown);
    provision();
    return 0;
}

/* ---- the request ---------------------------------------------------------- */

enum kind { K_START, K_CHOOSER, K_INFO_GET, K_INFO_POST };

/* The placeholders of one input: what they minted, for the auth_info
 * checks, and how many were replaced (at most EXPAND_MAX, so that no
 * input grows past the body limit: INPUT_MAX + EXPAND_MAX * 40 bytes). */
struct minted {
    int valid;  /* tokens that can redeem: @T and @O */
    int tokens; /* tokens minted */
    int expanded;
};

/* A one-time token of app (bound to SITE, expiring ttl seconds from now)
 * written to tok, 40 hex characters, as a callback stores it. */
static void mint(const char *app, const char *ident, int64_t ttl, char tok[APP_KEY_LEN + 1])
{
    char data[256];
    snprintf(data, sizeof data,
             "{\"stat\":\"ok\",\"profile\":{\"identifier\":\"%s\"},"
             "\"accessCredentials\":{\"accessToken\":\"at\"}}\n"
             "\"oidc\":{\"iss\":\"https://idp.example\",\"sub\":\"alice\"}",
             ident);
    app_key_generate(tok); /* the same shape: 40 lower-case hex */
    struct signin_token_rec t = {.token_url = SITE, .expires_at = Clock + ttl};
    snprintf(t.cid, sizeof t.cid, "%s", FUZZ_CID);
    snprintf(t.app_id, sizeof t.app_id, "%s", app);
    snprintf(t.provider_id, sizeof t.provider_id, "%s", Pid);
    crypto_hash_sha256(t.hash, (const unsigned char *)tok, APP_KEY_LEN);
    unsigned char *blob;
    size_t n;
    keys_seal(&App.keys, data, strlen(data), &blob, &n);
    t.data = blob;
    t.data_len = n;
    struct err e = {0};
    enum st st = store_signin_token_create(App.store, &t, &e);
    free(blob);
    if (st != ST_OK)
        fail("mint", e.msg);
}

/* Appends what "@x" stands for to b; false when x is no placeholder. */
static bool expand_one(struct buf *b, char x, struct minted *m)
{
    char tok[APP_KEY_LEN + 1];
    if (m->expanded >= EXPAND_MAX)
        return false;
    m->expanded++;
    switch (x) {
    case 'K':
        buf_puts(b, Key1);
        return true;
    case 'L':
        buf_puts(b, Key2);
        return true;
    case 'U':
        buf_puts(b, SITE);
        return true;
    case 'T':
    case 'E':
    case 'O':
        if (m->tokens >= MINT_MAX)
            break;
        m->tokens++;
        mint(x == 'O' ? APP2 : APP1, x == 'O' ? IDENT2 : IDENT1, x == 'E' ? -1 : 120, tok);
        m->valid += x != 'E';
        buf_puts(b, tok);
        return true;
    default:
        break;
    }
    m->expanded--;
    return false;
}

/* data[0..n) with its placeholders replaced, NUL-terminated, in b. */
static const char *expand(struct buf *b, const uint8_t *data, size_t n, struct minted *m)
{
    buf_init(b, b->a);
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '@' && i + 1 < n && expand_one(b, (char)data[i + 1], m))
            i++;
        else
            buf_add(b, (const char *)data + i, 1);
    }
    buf_add(b, "", 1);
    b->len--; /* the text's length, its NUL kept */
    return b->p;
}

/* Takes data[*off..) up to the next '\n' (or the end) as one line. */
static const uint8_t *line(const uint8_t *data, size_t size, size_t *off, size_t *len)
{
    const uint8_t *p = data + *off;
    size_t rest = fuzz_split(p, size - *off, '\n', len);
    *off += rest;
    return p;
}

static const char *const Addrs[4][2] = {
    {"192.0.2.1", "192.0.2.1"},
    {"192.0.2.2", "192.0.2.2"},
    {"2001:db8::1", "2001:db8::/64"},
    {NULL, NULL},
};

/* ---- the checks ---------------------------------------------------------- */

static const char *header(const struct api_resp *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

static bool header_is(const struct api_resp *r, const char *name, const char *want)
{
    const char *v = header(r, name);
    return v && !strcmp(v, want);
}

/* The length of the entity reference at s ("&amp;", "&#39;", ...), or 0. */
static size_t entity(const char *s, size_t n)
{
    static const char *const ok[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (n >= strlen(ok[i]) && !memcmp(s, ok[i], strlen(ok[i])))
            return strlen(ok[i]);
    return 0;
}

/* Escaped text: up to the next '<' (or the end); no quote, no '>', every
 * '&' an entity. Returns the bytes read, or (size_t)-1. */
static size_t text_run(const char *s, size_t n, char stop)
{
    size_t i = 0;
    while (i < n && s[i] != stop && s[i] != '<') {
        if (s[i] == '"' || s[i] == '\'' || s[i] == '>' || s[i] == '\0')
            return (size_t)-1;
        if (s[i] == '&') {
            size_t k = entity(s + i, n - i);
            if (!k)
                return (size_t)-1;
            i += k;
        } else {
            i++;
        }
    }
    return i;
}

/* The tags a page may hold; '*' stands for an escaped attribute value. */
static const char *const Tags[] = {
    "<!DOCTYPE html>",
    "<html lang=\"en\">",
    "<head>",
    "<meta charset=\"utf-8\">",
    "<meta name=\"viewport\" content=\"width=device-width\">",
    "<title>",
    "</title>",
    "</head>",
    "<body>",
    "<h1>",
    "</h1>",
    "<p>",
    "</p>",
    "<code>",
    "</code>",
    "<ul>",
    "</ul>",
    "<li>",
    "</li>",
    "<a href=\"*\">",
    "</a>",
    "<img src=\"*\" alt=\"\" width=\"24\" height=\"24\">",
    "<form method=\"post\" action=\"*\">",
    "</form>",
    "<input type=\"hidden\" name=\"*\" value=\"*\">",
    "<noscript>",
    "</noscript>",
    "<button type=\"submit\">",
    "</button>",
    "<script>document.forms[0].submit();</script>",
    "</body>",
    "</html>",
};

/* The length of tag pattern t matched at s, or 0. */
static size_t tag_at(const char *t, const char *s, size_t n)
{
    size_t i = 0;
    for (; *t; t++) {
        if (*t == '*') {
            size_t k = text_run(s + i, n - i, '"');
            if (k == (size_t)-1 || i + k >= n || s[i + k] != '"')
                return 0;
            i += k;
        } else if (i < n && s[i] == *t) {
            i++;
        } else {
            return 0;
        }
    }
    return i;
}

/* A page is the runtime's tags around escaped text, and nothing else. */
static void check_html(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] == '<') {
            size_t k = 0;
            for (size_t t = 0; t < sizeof Tags / sizeof *Tags && !k; t++)
                k = tag_at(Tags[t], s + i, n - i);
            trap_unless(k > 0);
            i += k;
        } else {
            size_t k = text_run(s + i, n - i, '<');
            trap_unless(k != (size_t)-1);
            i += k;
        }
    }
}

/* What the pages must never show: the decoded token_url of the query
 * when it holds markup (the runtime's own text holds no "http" but in
 * escaped links, where a quote or '<' cannot be). */
static void check_no_reflection(const struct api_resp *r, const char *token_url)
{
    if (!token_url || strncasecmp(token_url, "http", 4) || !token_url[strcspn(token_url, "<>\"'")])
        return;
    trap_unless(!memmem(r->body, r->body_len, token_url, strlen(token_url)));
}

static void check_page(const struct api_resp *r, enum kind kind, const char *token_url)
{
    trap_unless(r->content_type && !strncmp(r->content_type, "text/html", 9));
    const char *csp = header(r, "Content-Security-Policy");
    trap_unless(csp && strstr(csp, "frame-ancestors 'none'") && strstr(csp, "default-src 'none'"));
    trap_unless(header_is(r, "X-Frame-Options", "DENY"));
    trap_unless(header_is(r, "Referrer-Policy", "no-referrer"));
    check_html(r->body, r->body_len);
    check_no_reflection(r, token_url);
    if (r->status == 200) {
        trap_unless(kind == K_CHOOSER);
        return;
    }
    /* An error page: a known code and the request id, nothing of the input. */
    static const char *const codes[] = {"unknown_provider", "bad_token_url", "unavailable"};
    bool known = false;
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char want[64];
        snprintf(want, sizeof want, "<code>%s</code>", codes[i]);
        known |= memmem(r->body, r->body_len, want, strlen(want)) != NULL;
    }
    trap_unless(known);
    trap_unless(memmem(r->body, r->body_len, "<code>" REQ_ID "</code>", 6 + strlen(REQ_ID) + 7));
    trap_unless(r->body_len < 1024);
}

/* Scheme and host of a token_url APP1 allows: https on shop.example,
 * http on localhost. */
static bool allowed_origin(const char *u)
{
    const char *h = strstr(u, "://");
    if (!h)
        return false;
    size_t sn = (size_t)(h - u), n = strcspn(h + 3, ":/?");
    h += 3;
    if (sn == 5 && !strncasecmp(u, "https", 5))
        return n == 12 && !strncasecmp(h, "shop.example", 12);
    return sn == 4 && !strncasecmp(u, "http", 4) && n == 9 && !strncasecmp(h, "localhost", 9);
}

/* A token_url start accepted: one APP1 allows, by a reading of its own. */
static void check_token_url(const char *u)
{
    trap_unless(u && allowed_origin(u));
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        trap_unless(*p > 0x20 && *p < 0x7f && !strchr("\"<>\\#", *p));
}

/* Appends s percent-encoded but for RFC 3986's unreserved characters. */
static void pct(struct buf *b, const char *s)
{
    for (; *s; s++) {
        char e[4];
        if (strchr("-._~", *s) || (*s >= '0' && *s <= '9') ||
            ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
            buf_add(b, s, 1);
        else
            buf_add(b, e, (size_t)snprintf(e, sizeof e, "%%%02X", (unsigned char)*s));
    }
    buf_add(b, "", 1);
}

static void check_redirect(const struct api_resp *r, enum kind kind, const char *token_url)
{
    trap_unless(kind == K_START && r->body_len == 0);
    const char *loc = header(r, "Location");
    trap_unless(loc && !strncmp(loc, AUTH_URL "&response_type=code&", strlen(AUTH_URL) + 20));
    for (const unsigned char *p = (const unsigned char *)loc; *p; p++)
        trap_unless(*p > 0x20 && *p < 0x7f && !strchr("\"<>\\#'`{}|^", *p));
    trap_unless(header_is(r, "Referrer-Policy", "no-referrer"));
    check_token_url(token_url);
    trap_unless(!strstr(loc, token_url));
    struct arena a;
    struct buf enc;
    arena_init(&a);
    buf_init(&enc, &a);
    pct(&enc, token_url);
    trap_unless(!strstr(loc, enc.p));
    arena_cleanup(&a);
}

/* Engage's answer: {"stat":"ok","profile":{...}} for a token this input
 * minted, else {"stat":"fail","err":{"code":N,"msg":"..."}} with the
 * status its code says. */
static void check_info(const struct api_resp *r, const struct minted *m)
{
    trap_unless(r->content_type && !strncmp(r->content_type, "application/json", 16));
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    const char *stat = json_string_value(json_object_get(j, "stat"));
    trap_unless(stat);
    if (!strcmp(stat, "ok")) {
        const char *id =
            json_string_value(json_object_get(json_object_get(j, "profile"), "identifier"));
        trap_unless(r->status == 200 && m->valid > 0 && id &&
                    (!strcmp(id, IDENT1) || !strcmp(id, IDENT2)));
        json_decref(j);
        return;
    }
    json_t *err = json_object_get(j, "err");
    json_int_t code = json_integer_value(json_object_get(err, "code"));
    trap_unless(!strcmp(stat, "fail") && json_is_integer(json_object_get(err, "code")) &&
                json_is_string(json_object_get(err, "msg")));
    if (r->status == 429)
        trap_unless(code == 1 && header(r, "Retry-After"));
    else if (r->status == 503)
        trap_unless(code == -1);
    else
        trap_unless(r->status == 400 && code >= 0 && code <= 3);
    json_decref(j);
}

/* The decoded token_url of a query, as the runtime reads it, or NULL. */
static const char *query_token_url(struct arena *a, const char *q)
{
    struct form f;
    if (oauth_form_parse(a, q, strlen(q), &f, NULL) != ST_OK)
        return NULL;
    return oauth_form_get(&f, "token_url");
}

static void check(const struct api_resp *r, enum kind kind, const char *token_url,
                  const struct minted *m)
{
    switch (r->status) {
    case 200:
    case 400:
    case 404:
    case 429:
    case 503:
        break;
    case 302:
        check_redirect(r, kind, token_url);
        return;
    default:
        __builtin_trap();
    }
    trap_unless(r->body_len > 0 && r->body);
    if (kind == K_INFO_GET || kind == K_INFO_POST)
        check_info(r, m);
    else
        check_page(r, kind, token_url);
    trap_unless(r->status != 429 || kind == K_INFO_GET || kind == K_INFO_POST);
}

/* ---- one input -------------------------------------------------------------- */

static const char *const Media[3] = {MEDIA_FORM, MEDIA_MULTIPART "; boundary=sgfuzz", NULL};

/* Fills req from the input (strings in a and b); returns the kind. */
static enum kind build(struct arena *a, const uint8_t *data, size_t size, struct api_req *req,
                       struct minted *m)
{
    uint8_t sel = data[0];
    enum kind kind = sel & 3;
    bool other = sel & 16;
    const char *const *addr = Addrs[(sel >> 5) & 3];
    *req = (struct api_req){.method = "GET", .query = "", .id = REQ_ID};
    req->remote_addr = addr[0];
    req->remote_net = addr[1];
    struct buf qb = {.a = a}, bb = {.a = a};
    size_t off = 1, len;
    if (kind != K_INFO_POST) {
        size_t n = strnlen((const char *)data + 1, size - 1);
        req->query = expand(&qb, data + 1, n, m);
    } else {
        req->method = "POST";
        int media = (sel >> 2) & 3;
        if (media == 2) {
            const uint8_t *ct = line(data, size, &off, &len);
            req->content_type = arena_strndup(a, (const char *)ct, strnlen((const char *)ct, len));
        } else {
            req->content_type = Media[media == 3 ? 2 : media];
        }
        if (other) {
            const uint8_t *q = line(data, size, &off, &len);
            req->query = expand(&qb, q, strnlen((const char *)q, len), m);
        }
        req->body = expand(&bb, data + off, size - off, m);
        req->body_len = bb.len;
    }
    if (kind == K_START)
        req->path = arena_printf(a, "/%s.%s/start", other ? OTHER_CID : FUZZ_CID, Pid);
    else if (kind == K_CHOOSER)
        req->path = other ? "/signin/" NO_APP : "/signin/" APP1;
    else
        req->path = "/api/v2/auth_info";
    return kind;
}

/* Removes every flow and token (all expire before the far future). */
static void purge(void)
{
    struct err e = {0};
    int purged;
    do {
        if (store_signin_purge(App.store, INT64_C(1) << 40, &purged, &e) != ST_OK)
            fail("purge", e.msg);
    } while (purged >= STORE_PURGE_BATCH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > INPUT_MAX)
        return 0; /* the body limit's 413 is the router's, fuzzed by fuzz_route */
    if (++Runs % PURGE_EVERY == 0)
        purge();
    if (data[0] & 128)
        Clock += 3600;
    struct arena a;
    arena_init(&a);
    struct api_req req;
    struct minted m = {0};
    enum kind kind = build(&a, data, size, &req, &m);
    struct api_resp resp;
    struct arena ra;
    arena_init(&ra);
    api_handle(&App.api, &ra, &req, &resp);
    check(&resp, kind, query_token_url(&a, req.query), &m);
    arena_cleanup(&ra);
    arena_cleanup(&a);
    return 0;
}
