/* SPDX-License-Identifier: MIT */
/*
 * bench-mint: one-time sign-in tokens for the auth_info scenario of
 * `make bench`, written straight into a database as the callback writes
 * them (found by the SHA-256 of the token, the answer sealed with the key
 * file, the app's token_ttl), because a benchmark at full speed redeems
 * more tokens than real sign-ins can make in the time. The tokens go to
 * stdout, one a line, once all are committed. bench/run runs it before the
 * measured server starts, so that the server alone writes while it is
 * measured.
 *
 * usage: bench-mint --db PATH --customer UUID --app ID --provider UUID
 *                   --token-url URL --ttl SECONDS --count N --data FILE
 *   --data: what auth_info answers from, as the callback seals it (its
 *   answer, a newline, what extended=true adds), sealed as is, on its own,
 *   for every token.
 */
#include "app.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINT_BATCH 20000    /* tokens per transaction (one fsync each) */
#define MINT_DATA_MAX 65536 /* bytes of --data */
#define MINT_TOKEN_BYTES 20 /* 160 bits, 40 hex characters: the callback's */

struct mint {
    struct signin_token_rec rec; /* everything but hash, data and expiry */
    const char *db;
    const char *data_path;
    const char *text; /* --data's text */
    size_t text_len;
    long ttl;
    long count;
};

static int usage(void)
{
    fputs("usage: bench-mint --db PATH --customer UUID --app ID --provider UUID "
          "--token-url URL --ttl SECONDS --count N --data FILE\n",
          stderr);
    return 2;
}

/* Copies s into a fixed field; false when it does not fit. */
static bool field(char *out, size_t cap, const char *s)
{
    return (size_t)snprintf(out, cap, "%s", s) < cap;
}

static bool parse(struct mint *m, int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"customer", required_argument, NULL, 'c'},
        {"app", required_argument, NULL, 'a'},
        {"provider", required_argument, NULL, 'p'},
        {"token-url", required_argument, NULL, 'u'},
        {"ttl", required_argument, NULL, 't'},
        {"count", required_argument, NULL, 'n'},
        {"data", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    bool ok = true;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        struct signin_token_rec *r = &m->rec;
        switch (o) {
        case 'd':
            m->db = optarg;
            break;
        case 'c':
            ok &= field(r->cid, sizeof r->cid, optarg);
            break;
        case 'a':
            ok &= field(r->app_id, sizeof r->app_id, optarg);
            break;
        case 'p':
            ok &= field(r->provider_id, sizeof r->provider_id, optarg);
            break;
        case 'u':
            r->token_url = optarg;
            break;
        case 't':
            m->ttl = strtol(optarg, NULL, 10);
            break;
        case 'n':
            m->count = strtol(optarg, NULL, 10);
            break;
        case 'j':
            m->data_path = optarg;
            break;
        default:
            ok = false;
        }
    }
    return ok && optind == argc && m->db && m->data_path && m->rec.token_url && m->rec.cid[0] &&
           m->rec.app_id[0] && m->rec.provider_id[0] && m->ttl > 0 && m->count > 0;
}

/* The whole of a small file, NUL-terminated; NULL when unreadable. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = xmalloc(MINT_DATA_MAX + 1);
    *n = fread(s, 1, MINT_DATA_MAX + 1, f);
    bool whole = feof(f) && !ferror(f) && *n <= MINT_DATA_MAX;
    fclose(f);
    if (!whole) {
        free(s);
        return NULL;
    }
    s[*n] = '\0';
    return s;
}

/* A token and the SHA-256 it is stored under. */
struct minted {
    char token[2 * MINT_TOKEN_BYTES + 1];
    unsigned char hash[32];
};

/* One token into the open batch, its data sealed on its own as the
 * callback seals it. */
static enum st mint_one(struct app *app, struct mint *m, const struct minted *t, struct err *e)
{
    unsigned char *sealed;
    memcpy(m->rec.hash, t->hash, sizeof m->rec.hash);
    keys_seal(&app->keys, m->text, m->text_len, &sealed, &m->rec.data_len);
    m->rec.data = sealed;
    enum st st = store_signin_token_create(app->store, &m->rec, e);
    free(sealed);
    return st;
}

/* Inserts the tokens of v[0..n), MINT_BATCH per transaction. */
static enum st insert(struct app *app, struct mint *m, const struct minted *v, long n,
                      struct err *e)
{
    enum st st = ST_OK;
    for (long done = 0; st == ST_OK && done < n;) {
        long k = n - done < MINT_BATCH ? n - done : MINT_BATCH;
        if ((st = store_batch_begin(app->store, e)) != ST_OK)
            break;
        m->rec.expires_at = util_now() + m->ttl;
        for (long i = 0; st == ST_OK && i < k; i++)
            st = mint_one(app, m, &v[done + i], e);
        if (st != ST_OK) {
            store_batch_abort(app->store, NULL);
            break;
        }
        st = store_batch_end(app->store, e);
        done += k;
    }
    return st;
}

/* Makes m->count tokens and stores them in the order they are made, as
 * callbacks do (the table keeps tokens in that order), in transactions of
 * many; prints them once all are committed, in the same order: auth_info
 * redeems them as sites do, soon after each sign-in, so in about the
 * order they were minted. */
static enum st mint_all(struct app *app, struct mint *m, struct err *e)
{
    struct minted *v = xcalloc((size_t)m->count, sizeof *v);
    for (long i = 0; i < m->count; i++) {
        util_random_secret_hex(v[i].token, MINT_TOKEN_BYTES);
        crypto_hash_sha256(v[i].hash, (const unsigned char *)v[i].token, 2 * MINT_TOKEN_BYTES);
    }
    enum st st = insert(app, m, v, m->count, e);
    for (long i = 0; st == ST_OK && i < m->count; i++)
        puts(v[i].token);
    free(v);
    return st;
}

int main(int argc, char **argv)
{
    struct mint m = {0};
    if (!parse(&m, argc, argv))
        return usage();
    if (util_init() != ST_OK) {
        fputs("bench-mint: cannot initialise libsodium\n", stderr);
        return 1;
    }
    char *text = slurp(m.data_path, &m.text_len);
    if (!text) {
        fprintf(stderr, "bench-mint: cannot read %s (at most %d bytes)\n", m.data_path,
                MINT_DATA_MAX);
        return 1;
    }
    struct app app = {.cfg = {.db = (char *)m.db}};
    app.cfg.key_file = xmalloc(strlen(m.db) + sizeof ".key");
    sprintf(app.cfg.key_file, "%s.key", m.db);
    struct err e = {0};
    m.text = text;
    enum st st = app_open(&app, false, &e);
    if (st == ST_OK)
        st = mint_all(&app, &m, &e);
    if (st != ST_OK)
        fprintf(stderr, "bench-mint: %s\n", e.msg);
    free(text);
    app_close(&app);
    free(app.cfg.key_file);
    return st == ST_OK && fflush(stdout) == 0 ? 0 : 1;
}
