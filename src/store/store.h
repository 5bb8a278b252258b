/* SPDX-License-Identifier: MIT */
/*
 * store: durable state behind one interface. store_open picks a backend by
 * URL ("sqlite:PATH" or a plain path; "postgresql://..." or
 * "postgres://..."). Every write is one transaction, durable when the call
 * returns ST_OK. Every call is scoped by customer id except the token
 * look-ups by client sequence, and the sign-in runtime's by hash (a flow, a
 * one-time token) or apiKey, whose answers name the customer.
 * Thread-safe: any thread may call any function. Knows no HTTP.
 */
#ifndef SG_STORE_H
#define SG_STORE_H

#include "../model/model.h"

struct store;

/* The client data the token service needs, in one look-up. Strings and
 * scopes are allocated from the caller's arena. */
struct client_auth {
    uint64_t seq; /* immutable, never reused */
    char customer_id[UUID_LEN + 1];
    char client_id[CLIENT_ID_LEN + 1];
    unsigned char verifier[32]; /* keyed hash of the secret */
    int64_t lifetime;           /* policy accessTokenLifetime */
    int nscopes;                /* policy allowedScopes */
    const char **scopes;
};

/* A sealed client secret and its verifier, as stored. */
struct sealed_secret {
    unsigned char *blob; /* xmalloc'd by whoever filled it; free() it */
    size_t len;
    unsigned char verifier[32];
};

/* A custom provider as stored: the client-set fields as JSON text without
 * the secret, and the secret sealed. Strings are arena-owned on reads. */
struct provider_rec {
    char id[UUID_LEN + 1];
    char app_id[APP_ID_LEN + 1];
    const char *protocol; /* written, for operators' queries; not read back */
    const char *doc;
    const char *summary;         /* the list form's members as JSON, or "" */
    const unsigned char *secret; /* sealed client_secret, NULL when none */
    size_t secret_len;
    char etag[65];
    char created_at[RFC3339_NS_LEN + 1];
    char updated_at[RFC3339_NS_LEN + 1];
};

/* Computes the next version of a provider from the current one, inside the
 * store's write transaction: fills next's doc, secret, etag and updated_at
 * (next starts as a copy of cur). Any status but ST_OK abandons the change,
 * and store_provider_modify returns that status; the function reports its
 * own details where its arg says (the store adds none, so a failure has
 * one struct err, the caller's). Runs on the caller's thread inside the
 * write transaction; it must not call the store. */
typedef enum st (*provider_modify_fn)(void *arg, const struct provider_rec *cur,
                                      struct provider_rec *next);

#define STORE_KEY_CHECK_LEN 32

/* Which row: a customer and the id of a row of theirs (a policy, a client,
 * an app; for auth_find the client id). Borrowed strings. */
struct row_key {
    const char *cid;
    const char *id;
};

/* Which custom provider: customer, app and provider id. Borrowed strings. */
struct provider_key {
    const char *cid;
    const char *app_id;
    const char *id;
};

/* A provider modification: fn(arg, ...) computes the next version. */
/* Computes the next version of an app from the current one inside the
 * store's write transaction (next starts as a copy of cur), as
 * provider_modify_fn does for providers; any status but ST_OK abandons it. */
typedef enum st (*app_modify_fn)(void *arg, const struct login_app *cur, struct login_app *next);

struct app_change {
    app_modify_fn fn;
    void *arg;
};

struct provider_change {
    provider_modify_fn fn;
    void *arg;
};

/* What the _list operations fill: an arena array and its length. */
struct policy_list {
    struct policy *v;
    int n;
};
struct client_list {
    struct client *v;
    int n;
};
struct app_list {
    struct login_app *v;
    int n;
};
struct provider_list {
    struct provider_rec *v;
    int n;
};

/* Revoked token identifiers are purged by at most this many per call. */
#define STORE_PURGE_BATCH 500

/* A flow's key: FLOW_PREFIX_LEN bytes that its creator makes grow with
 * time, so new flows go at the end of the table and a batch of them writes
 * a page or two, not one each; then 32 bytes, the SHA-256 of the state
 * (whose first bytes the prefix is). The state itself is never stored. */
#define FLOW_PREFIX_LEN 8
#define FLOW_KEY_LEN (FLOW_PREFIX_LEN + 32)

/* A sign-in in progress (SPEC §7.3), stored by start, taken by callback.
 * Strings are arena-owned on reads; never NULL ("" for none). */
struct flow_rec {
    unsigned char key[FLOW_KEY_LEN];
    char cid[UUID_LEN + 1];
    char app_id[APP_ID_LEN + 1];
    char provider_id[UUID_LEN + 1];
    const char *token_url;
    const char *verifier; /* PKCE code_verifier */
    const char *nonce;
    const char *request_id; /* SAML AuthnRequest ID, or "" */
    int64_t expires_at;
};

/* A one-time token (SPEC §7.5), stored by callback, taken by auth_info.
 * token_url and data are arena-owned on reads. */
struct signin_token_rec {
    unsigned char hash[32]; /* SHA-256 of the token */
    char cid[UUID_LEN + 1];
    char app_id[APP_ID_LEN + 1];
    char provider_id[UUID_LEN + 1];
    const char *token_url;
    const unsigned char *data; /* the profile answer, sealed by the caller */
    size_t data_len;
    int64_t expires_at;
};

/* An app found by its key. */
struct app_ref {
    char cid[UUID_LEN + 1];
    char app_id[APP_ID_LEN + 1];
};

/* The tables `socialgate copy` moves between databases (SPEC §8), in an
 * order that satisfies their foreign keys. STORE_T_CLIENT_SEQ is one row of
 * one integer: the highest client sequence ever handed out (0: none), so a
 * deleted client's sequence is never reused after a copy either. Sign-ins
 * in progress (flows, one-time tokens) are not copied. */
enum store_table {
    STORE_T_CUSTOMERS,
    STORE_T_POLICIES,
    STORE_T_CLIENTS,
    STORE_T_REVOCATIONS,
    STORE_T_APPS,
    STORE_T_PROVIDERS,
    STORE_T_ISSUER_PINS,
    STORE_T_META,
    STORE_T_CLIENT_SEQ,
    STORE_T__COUNT
};

/* One value of a copied row, as neutral as both backends need. */
enum store_vtype { SV_NULL, SV_INT, SV_TEXT, SV_BLOB };
struct store_value {
    enum store_vtype t;
    int64_t i;              /* SV_INT */
    const unsigned char *b; /* SV_TEXT (NUL-terminated too), SV_BLOB; arena-owned on reads */
    size_t len;
};

/* Every row of one table: n rows of ncols values, row after row, in the
 * column order of store_table_columns (the same for every backend). */
struct store_rows {
    int ncols;
    int n;
    struct store_value *v;
};

/* t's columns, comma-separated, in the order rows_read fills them and
 * rows_write expects them ("seq" for STORE_T_CLIENT_SEQ). */
const char *store_table_columns(enum store_table t);
/* t's name, for messages ("customers", ..., "client_seq"). */
const char *store_table_name(enum store_table t);

/*
 * THE list of store operations. Each line generates the store_ops member,
 * the public store_<name> function (declared below, defined in store.c),
 * the cache's pass-through and the test fault store's wrapper:
 *
 *   X(name, kind, data, (parameters after the store), (their names))
 *
 * kind: R reads; W writes; C a read the cache may serve itself (cache.c
 * writes it by hand); B group-commit control (cache.c writes it by hand).
 * data: what a write changes (customer, policy, client, revocation, app,
 * provider, meta, flow, signin_token): the cache forgets what depends on it.
 * The last parameter is always `struct err *e`. Every function returns an
 * enum st; the comment above a group is its contract.
 */
/* clang-format off */
#define STORE_OPS(X)                                                                               \
    /* Group commit. Between _begin and _end, every write this thread makes                        \
     * joins one transaction, committed by _end: one disk flush for all of them.                   \
     * A write that fails rolls back alone. Until _end returns ST_OK none of                       \
     * them is durable (nor visible to other readers); if it fails, none of                        \
     * them happened. Other threads' writes wait meanwhile. Not nestable. */                       \
    X(batch_begin, B, batch, (struct err *e), (e))                                                 \
    X(batch_end, B, batch, (struct err *e), (e))                                                   \
    /* Rolls this thread's batch back instead: none of its writes happened.                        \
     * Always ends the batch, even when it reports a failure. */                                   \
    X(batch_abort, B, batch, (struct err *e), (e))                                                 \
    /* Creates a customer. ST_CONFLICT when cid exists. */                                         \
    X(customer_create, W, customer, (const char *cid, struct err *e), (cid, e))                    \
    /* Token policies. _get/_update/_delete: ST_NOT_FOUND for an unknown id;                       \
     * _delete: ST_CONFLICT when a client still uses the policy. Lists in                          \
     * creation order; read strings are allocated from a. */                                       \
    X(policy_create, W, policy, (const char *cid, const struct policy *p, struct err *e),          \
      (cid, p, e))                                                                                 \
    X(policy_get, R, policy,                                                                       \
      (struct arena *a, struct row_key k, struct policy *out, struct err *e), (a, k, out, e))      \
    X(policy_list, R, policy,                                                                      \
      (struct arena *a, const char *cid, struct policy_list *out, struct err *e),                  \
      (a, cid, out, e))                                                                            \
    X(policy_update, W, policy, (const char *cid, const struct policy *p, struct err *e),          \
      (cid, p, e))                                                                                 \
    X(policy_delete, W, policy, (struct row_key k, struct err *e), (k, e))                         \
    /* Configuration clients. _create/_update: ST_CONFLICT (field /name) for a                     \
     * name already used in the customer, ST_UNPROCESSABLE (field /tokenPolicy)                    \
     * for an unknown policy. _get/_update/_delete: ST_NOT_FOUND. */                               \
    X(client_create, W, client,                                                                    \
      (const char *cid, const struct client *c, const struct sealed_secret *sec, struct err *e),   \
      (cid, c, sec, e))                                                                            \
    X(client_get, R, client,                                                                       \
      (struct arena *a, struct row_key k, struct client *out, struct err *e), (a, k, out, e))      \
    X(client_list, R, client,                                                                      \
      (struct arena *a, const char *cid, struct client_list *out, struct err *e),                  \
      (a, cid, out, e))                                                                            \
    X(client_update, W, client, (const char *cid, const struct client *c, struct err *e),          \
      (cid, c, e))                                                                                 \
    X(client_delete, W, client, (struct row_key k, struct err *e), (k, e))                         \
    /* A client's sealed secret: _get fills out (free out->blob); _set replaces                    \
     * it. ST_NOT_FOUND for an unknown client. */                                                  \
    X(secret_get, R, client, (struct row_key k, struct sealed_secret *out, struct err *e),         \
      (k, out, e))                                                                                 \
    X(secret_set, W, client, (struct row_key k, const struct sealed_secret *sec, struct err *e),   \
      (k, sec, e))                                                                                 \
    /* Token-service look-ups: by (customer, client id) for client                                 \
     * authentication, by client sequence for bearer checks. ST_NOT_FOUND when                     \
     * the customer or client does not exist (any more). */                                        \
    X(auth_find, C, client,                                                                        \
      (struct arena *a, struct row_key k, struct client_auth *out, struct err *e),                 \
      (a, k, out, e))                                                                              \
    X(auth_by_seq, C, client,                                                                      \
      (struct arena *a, uint64_t seq, struct client_auth *out, struct err *e), (a, seq, out, e))   \
    /* Revoked token identifiers, kept until the token would have expired.                         \
     * _purge removes at most STORE_PURGE_BATCH expired ones per call (one short                   \
     * transaction, so writers never wait long); call again while it purged                        \
     * that many. */                                                                               \
    X(revocation_add, W, revocation, (const unsigned char tag[16], int64_t exp, struct err *e),    \
      (tag, exp, e))                                                                               \
    X(revocation_find, C, revocation,                                                              \
      (const unsigned char tag[16], bool *revoked, struct err *e), (tag, revoked, e))              \
    X(revocation_purge, W, revocation, (int64_t now, int *purged, struct err *e),                  \
      (now, purged, e))                                                                            \
    /* Sign-in flows (SPEC §7.3) and one-time tokens (§7.5), keyed by the                          \
     * flow's key (FLOW_KEY_LEN) or the token's SHA-256. _create: ST_CONFLICT                      \
     * for an existing key. _take returns the row (strings and data from a) and                    \
     * makes it unusable, atomically: of any number of concurrent calls with one                   \
     * key, on any number of servers, exactly one gets ST_OK, the others                           \
     * ST_NOT_FOUND. Expired rows are taken and returned too: the caller checks                    \
     * expires_at. A flow taken is deleted; a token taken is kept, marked and                      \
     * without its data, until signin_purge deletes it once expired.                               \
     * signin_token_take takes only a token of app (customer and app id): one                      \
     * of another app is neither returned nor changed (ST_NOT_FOUND). */                           \
    X(flow_create, W, flow, (const struct flow_rec *f, struct err *e), (f, e))                     \
    X(flow_take, W, flow,                                                                          \
      (struct arena *a, const unsigned char key[FLOW_KEY_LEN], struct flow_rec *out,              \
       struct err *e),                                                                             \
      (a, key, out, e))                                                                            \
    X(signin_token_create, W, signin_token, (const struct signin_token_rec *t, struct err *e),     \
      (t, e))                                                                                      \
    X(signin_token_take, W, signin_token,                                                          \
      (struct arena *a, struct row_key app, const unsigned char hash[32],                          \
       struct signin_token_rec *out, struct err *e),                                               \
      (a, app, hash, out, e))                                                                      \
    /* SAML assertion ids seen (SPEC §7.4: a replayed assertion is refused), by                    \
     * a SHA-256 the caller makes of the provider and the id. _use records hash                    \
     * until expires_at: ST_OK the first time, ST_CONFLICT while a record of it                    \
     * has not expired (expires_at > now). Of concurrent uses of one hash, on any                  \
     * number of servers, exactly one gets ST_OK. An expired record counts as                      \
     * none: its hash is used anew. */                                                             \
    X(assertion_use, W, flow,                                                                      \
      (const unsigned char hash[32], int64_t expires_at, int64_t now, struct err *e),              \
      (hash, expires_at, now, e))                                                                  \
    /* Removes at most STORE_PURGE_BATCH expired flows, tokens and assertion                       \
     * ids together (expires_at <= now) per call, as revocation_purge does;                        \
     * *purged says how many. */                                                                   \
    X(signin_purge, W, flow, (int64_t now, int *purged, struct err *e), (now, purged, e))          \
    /* Social-login apps of a customer, in creation order. _create:                                \
     * ST_CONFLICT for an existing id. _get: ST_NOT_FOUND. */                                      \
    X(app_create, W, app, (const char *cid, const struct login_app *app, struct err *e),           \
      (cid, app, e))                                                                               \
    X(app_get, C, app, (struct arena *a, struct row_key k, struct login_app *out, struct err *e),  \
      (a, k, out, e))                                                                              \
    X(app_list, R, app, (struct arena *a, const char *cid, struct app_list *out, struct err *e),   \
      (a, cid, out, e))                                                                            \
    /* _modify reads the app and writes ch's result (name, realm, token_urls,                      \
     * settings) in one transaction, so modifications apply one after the                          \
     * other and none is lost; ST_NOT_FOUND for an unknown app, else ch->fn's                      \
     * status (strings read are allocated from a). */                                              \
    X(app_modify, W, app,                                                                          \
      (struct arena *a, struct row_key k, const struct app_change *ch, struct err *e),             \
      (a, k, ch, e))                                                                               \
    /* An app's sealed apiKey. _get fills out (free out->blob; NULL with len 0                     \
     * while the app has none, as apps made before keys existed); ST_NOT_FOUND                     \
     * for an unknown app. _set replaces it (ST_NOT_FOUND). _create sets it only                   \
     * where none is: ST_CONFLICT when the app has one already or is unknown. */                   \
    X(app_key_get, R, app, (struct row_key k, struct sealed_secret *out, struct err *e),           \
      (k, out, e))                                                                                 \
    X(app_key_set, W, app, (struct row_key k, const struct sealed_secret *sec, struct err *e),     \
      (k, sec, e))                                                                                 \
    X(app_key_create, W, app, (struct row_key k, const struct sealed_secret *sec, struct err *e),  \
      (k, sec, e))                                                                                 \
    /* The app whose apiKey has this verifier (keys_verifier of the key):                          \
     * ST_NOT_FOUND when no app's has. A key names one app: _set and _create                       \
     * answer ST_CONFLICT for a verifier another app has. */                                       \
    X(app_find_by_key, C, app,                                                                     \
      (const unsigned char verifier[32], struct app_ref *out, struct err *e),                      \
      (verifier, out, e))                                                                          \
    /* The app of an app id, whichever customer's (the sign-in chooser's                           \
     * /signin/{app}): ST_NOT_FOUND when none. */                                                  \
    X(app_locate, R, app, (const char *app_id, struct app_ref *out, struct err *e),                \
      (app_id, out, e))                                                                            \
    /* Custom providers of an app (_list: app is {cid, app id}), in creation                       \
     * order. _create: ST_NOT_FOUND for an unknown app. _modify reads the                          \
     * provider and writes ch's result in one transaction, so modifications                        \
     * are applied one after the other and none is lost; ST_NOT_FOUND when it                      \
     * does not exist, else ch->fn's status (strings read are allocated from                       \
     * a). _delete: ST_PRECONDITION when the stored etag is not expected_etag                      \
     * (NULL: any), ST_NOT_FOUND when it is gone. */                                               \
    X(provider_create, W, provider,                                                                \
      (const char *cid, const struct provider_rec *p, struct err *e), (cid, p, e))                 \
    X(provider_get, C, provider,                                                                   \
      (struct arena *a, struct provider_key k, struct provider_rec *out, struct err *e),           \
      (a, k, out, e))                                                                              \
    /* The provider of a customer with provider id k.id, whichever app's                           \
     * (the sign-in routes name {c}.{p}); out->app_id says which. */                               \
    X(provider_locate, C, provider,                                                                \
      (struct arena *a, struct row_key k, struct provider_rec *out, struct err *e),                \
      (a, k, out, e))                                                                              \
    X(provider_list, C, provider,                                                                  \
      (struct arena *a, struct row_key app, struct provider_list *out, struct err *e),             \
      (a, app, out, e))                                                                            \
    X(provider_modify, W, provider,                                                                \
      (struct arena *a, struct provider_key k, const struct provider_change *ch, struct err *e),   \
      (a, k, ch, e))                                                                               \
    X(provider_delete, W, provider,                                                                \
      (struct provider_key k, const char *expected_etag, struct err *e), (k, expected_etag, e))    \
    /* The issuer pinned for an OpenID provider (SPEC §7.4) while its endpoints                    \
     * fingerprint (64 hex) is `endpoints`. _get sets *iss (from a); ST_NOT_FOUND                  \
     * when none is pinned, or it was pinned under other endpoints. _set pins                      \
     * iss unless a pin under the same endpoints exists: that one is kept, and                     \
     * the answer is ST_OK when its issuer is iss, else ST_CONFLICT; a pin under                   \
     * other endpoints is replaced. _set: ST_NOT_FOUND for an unknown provider.                    \
     * provider_delete removes the provider's pin. */                                              \
    X(issuer_pin_get, R, provider,                                                                 \
      (struct arena *a, struct provider_key k, const char *endpoints, const char **iss,            \
       struct err *e),                                                                             \
      (a, k, endpoints, iss, e))                                                                   \
    X(issuer_pin_set, W, provider,                                                                 \
      (struct provider_key k, const char *endpoints, const char *iss, struct err *e),              \
      (k, endpoints, iss, e))                                                                      \
    /* The check value of the key file the database belongs to (not a secret):                     \
     * _find: ST_NOT_FOUND while none is recorded; _create records v unless a                      \
     * value is recorded already (then it keeps that one: _find again to learn                     \
     * which won). */                                                                              \
    X(key_check_find, R, meta, (unsigned char out[STORE_KEY_CHECK_LEN], struct err *e), (out, e))  \
    X(key_check_create, W, meta, (const unsigned char v[STORE_KEY_CHECK_LEN], struct err *e),      \
      (v, e))                                                                                      \
    /* Some configuration client's sealed secret, any one, to try a key on                         \
     * (free out->blob). ST_NOT_FOUND when the database has no client. */                          \
    X(secret_find_any, R, client, (struct sealed_secret *out, struct err *e), (out, e))        \
    /* Copying a database (`socialgate copy`): _read fills out with every row                      \
     * of table t (values from a), in a fixed order. _write inserts rows into                      \
     * t verbatim, ids, sequences, etags and times included: ST_CONFLICT when                      \
     * t has a row already (for STORE_T_CLIENT_SEQ: when the database has handed                   \
     * out a higher sequence), ST_INVALID when a row has the wrong number of                       \
     * values. Write the tables in enum order, in one batch. Meant for a                           \
     * database no server uses yet: other servers' caches are not told. */                        \
    X(rows_read, R, meta,                                                                          \
      (struct arena *a, enum store_table t, struct store_rows *out, struct err *e),                \
      (a, t, out, e))                                                                              \
    X(rows_write, W, customer, (enum store_table t, const struct store_rows *rows, struct err *e), \
      (t, rows, e))
/* clang-format on */

/* Removes the parentheses of a list entry's parameters or arguments. */
#define STORE_UNPAREN(...) __VA_ARGS__

struct store_ops {
    const char *name;
    void (*close)(struct store *s);
#define STORE_OP_MEMBER(name, kind, data, params, args)                                            \
    enum st (*name)(struct store * s, STORE_UNPAREN params);
    STORE_OPS(STORE_OP_MEMBER)
#undef STORE_OP_MEMBER
};

/* Every backend's handle starts with this. */
struct store {
    const struct store_ops *ops;
};

/* Opens (creating and migrating when needed) the store at url. ST_STORAGE
 * with a message on failure. *out is owned by the caller: store_close. */
enum st store_open(const char *url, struct store **out, struct err *e);
/* As store_open, for `serve`: first claims the database for this process
 * where the backend allows only one server. SQLite: an exclusive lock on
 * the file PATH-serve.lock beside the database (PATH with symbolic links
 * resolved), held until store_close or exit; ST_CONFLICT, with a message
 * naming the lock file, while another process holds it. Other processes
 * may still open the database with store_open and write to it.
 * PostgreSQL: no claim; any number of servers share the database. */
enum st store_open_server(const char *url, struct store **out, struct err *e);
/* Closes s; NULL is accepted. */
void store_close(struct store *s);

/* Writes a consistent copy of the SQLite database at url (PATH or
 * sqlite:PATH) into the new file to while servers may go on writing to it:
 * SQLite's online backup API in one read transaction (one snapshot), into
 * a temporary file beside to, checked (quick_check), flushed and renamed
 * into place. ST_CONFLICT when to exists; ST_NOT_FOUND without a database
 * at url; ST_INVALID when it is not a socialgate database;
 * ST_NOT_IMPLEMENTED for PostgreSQL (pg_dump); ST_STORAGE otherwise, and
 * no file at to. The key file is not in the copy. */
enum st store_backup(const char *url, const char *to, struct err *e);
/* Replaces the SQLite database at url (created when absent) with the
 * backup file from, in one write transaction of url, after checking that
 * from is an intact socialgate database (ST_INVALID otherwise). Claims url
 * as store_open_server does for the whole time: ST_CONFLICT while a server
 * serves it. ST_NOT_IMPLEMENTED for PostgreSQL. */
enum st store_restore(const char *from, const char *url, struct err *e);

/* Copies every table of from into to (a database with no rows yet, see
 * rows_write), all in one batch of to: if it fails, to is left as it was.
 * counts, when not NULL, gets the number of rows of each table. Reads of
 * from are not one snapshot: nothing may write to from meanwhile. */
enum st store_copy(struct store *from, struct store *to, int counts[STORE_T__COUNT], struct err *e);

/* store_<name>(s, ...) for every operation of STORE_OPS, with the contract
 * written there: forwards to s->ops. */
#define STORE_OP_DECL(name, kind, data, params, args)                                              \
    enum st store_##name(struct store *s, STORE_UNPAREN params);
STORE_OPS(STORE_OP_DECL)
#undef STORE_OP_DECL

#endif
