/* SPDX-License-Identifier: MIT */
/*
 * store: durable state behind one interface. store_open picks a backend by
 * URL ("sqlite:PATH" or a plain path; PostgreSQL will follow). Every write
 * is one transaction, durable when the call returns ST_OK. Every call is
 * scoped by customer id except the token look-ups by client sequence.
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
 * (next starts as a copy of cur). Any status but ST_OK abandons the change.
 * Runs on the writer's connection inside the write transaction, on the
 * caller's thread; it must not call the store. */
typedef enum st (*provider_modify_fn)(void *arg, const struct provider_rec *cur,
                                      struct provider_rec *next, struct err *e);

#define STORE_KEY_CHECK_LEN 32

struct store_ops {
    const char *name;
    void (*close)(struct store *s);
    enum st (*batch_begin)(struct store *s, struct err *e);
    enum st (*batch_end)(struct store *s, struct err *e);
    enum st (*customer_create)(struct store *s, const char *cid, struct err *e);
    enum st (*policy_create)(struct store *s, const char *cid, const struct policy *p,
                             struct err *e);
    enum st (*policy_get)(struct store *s, struct arena *a, const char *cid, const char *id,
                          struct policy *out, struct err *e);
    enum st (*policy_list)(struct store *s, struct arena *a, const char *cid, struct policy **out,
                           int *n, struct err *e);
    enum st (*policy_update)(struct store *s, const char *cid, const struct policy *p,
                             struct err *e);
    enum st (*policy_delete)(struct store *s, const char *cid, const char *id, struct err *e);
    enum st (*client_create)(struct store *s, const char *cid, const struct client *c,
                             const struct sealed_secret *sec, struct err *e);
    enum st (*client_get)(struct store *s, struct arena *a, const char *cid, const char *id,
                          struct client *out, struct err *e);
    enum st (*client_list)(struct store *s, struct arena *a, const char *cid, struct client **out,
                           int *n, struct err *e);
    enum st (*client_update)(struct store *s, const char *cid, const struct client *c,
                             struct err *e);
    enum st (*client_delete)(struct store *s, const char *cid, const char *id, struct err *e);
    enum st (*secret_get)(struct store *s, const char *cid, const char *id,
                          struct sealed_secret *out, struct err *e);
    enum st (*secret_set)(struct store *s, const char *cid, const char *id,
                          const struct sealed_secret *sec, struct err *e);
    enum st (*auth_find)(struct store *s, struct arena *a, const char *cid, const char *client_id,
                         struct client_auth *out, struct err *e);
    enum st (*auth_by_seq)(struct store *s, struct arena *a, uint64_t seq, struct client_auth *out,
                           struct err *e);
    enum st (*revocation_add)(struct store *s, const unsigned char tag[16], int64_t exp,
                              struct err *e);
    enum st (*revocation_find)(struct store *s, const unsigned char tag[16], bool *revoked,
                               struct err *e);
    enum st (*revocation_purge)(struct store *s, int64_t now, int *purged, struct err *e);
    enum st (*app_create)(struct store *s, const char *cid, const struct login_app *app,
                          struct err *e);
    enum st (*app_get)(struct store *s, struct arena *a, const char *cid, const char *id,
                       struct login_app *out, struct err *e);
    enum st (*app_list)(struct store *s, struct arena *a, const char *cid, struct login_app **out,
                        int *n, struct err *e);
    enum st (*provider_create)(struct store *s, const char *cid, const struct provider_rec *p,
                               struct err *e);
    enum st (*provider_get)(struct store *s, struct arena *a, const char *cid, const char *app_id,
                            const char *id, struct provider_rec *out, struct err *e);
    enum st (*provider_list)(struct store *s, struct arena *a, const char *cid, const char *app_id,
                             struct provider_rec **out, int *n, struct err *e);
    enum st (*provider_modify)(struct store *s, struct arena *a, const char *cid,
                               const char *app_id, const char *id, provider_modify_fn fn, void *arg,
                               struct err *e);
    enum st (*provider_delete)(struct store *s, const char *cid, const char *app_id, const char *id,
                               const char *expected_etag, struct err *e);
    enum st (*key_check_find)(struct store *s, unsigned char out[STORE_KEY_CHECK_LEN],
                              struct err *e);
    enum st (*key_check_create)(struct store *s, const unsigned char v[STORE_KEY_CHECK_LEN],
                                struct err *e);
    enum st (*secret_find_any)(struct store *s, struct sealed_secret *out, struct err *e);
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
 * may still open the database with store_open and write to it. */
enum st store_open_server(const char *url, struct store **out, struct err *e);
/* Closes s; NULL is accepted. */
void store_close(struct store *s);

/* Group commit. Between _begin and _end, every write this thread makes
 * joins one transaction, committed by _end: one disk flush for all of them.
 * A write that fails rolls back alone. Until _end returns ST_OK none of
 * them is durable (nor visible to other readers); if it fails, none of
 * them happened. Other threads' writes wait meanwhile. Not nestable. */
enum st store_batch_begin(struct store *s, struct err *e);
enum st store_batch_end(struct store *s, struct err *e);

/* Creates a customer. ST_CONFLICT when cid exists. */
enum st store_customer_create(struct store *s, const char *cid, struct err *e);

/* Token policies. _get/_update/_delete: ST_NOT_FOUND for an unknown id;
 * _delete: ST_CONFLICT when a client still uses the policy. */
enum st store_policy_create(struct store *s, const char *cid, const struct policy *p,
                            struct err *e);
enum st store_policy_get(struct store *s, struct arena *a, const char *cid, const char *id,
                         struct policy *out, struct err *e);
enum st store_policy_list(struct store *s, struct arena *a, const char *cid, struct policy **out,
                          int *n, struct err *e);
enum st store_policy_update(struct store *s, const char *cid, const struct policy *p,
                            struct err *e);
enum st store_policy_delete(struct store *s, const char *cid, const char *id, struct err *e);

/* Configuration clients. _create/_update: ST_CONFLICT (field /name) for a
 * name already used in the customer, ST_UNPROCESSABLE (field /tokenPolicy)
 * for an unknown policy. _get/_update/_delete: ST_NOT_FOUND. */
enum st store_client_create(struct store *s, const char *cid, const struct client *c,
                            const struct sealed_secret *sec, struct err *e);
enum st store_client_get(struct store *s, struct arena *a, const char *cid, const char *id,
                         struct client *out, struct err *e);
enum st store_client_list(struct store *s, struct arena *a, const char *cid, struct client **out,
                          int *n, struct err *e);
enum st store_client_update(struct store *s, const char *cid, const struct client *c,
                            struct err *e);
enum st store_client_delete(struct store *s, const char *cid, const char *id, struct err *e);

/* A client's sealed secret: _get fills out (free out->blob); _set replaces
 * it. ST_NOT_FOUND for an unknown client. */
enum st store_secret_get(struct store *s, const char *cid, const char *id,
                         struct sealed_secret *out, struct err *e);
enum st store_secret_set(struct store *s, const char *cid, const char *id,
                         const struct sealed_secret *sec, struct err *e);

/* Token-service look-ups: by (customer, client id) for client
 * authentication, by client sequence for bearer checks. ST_NOT_FOUND when
 * the customer or client does not exist (any more). */
enum st store_auth_find(struct store *s, struct arena *a, const char *cid, const char *client_id,
                        struct client_auth *out, struct err *e);
enum st store_auth_by_seq(struct store *s, struct arena *a, uint64_t seq, struct client_auth *out,
                          struct err *e);

/* Revoked token identifiers, kept until the token would have expired.
 * _purge removes at most STORE_PURGE_BATCH expired ones per call (one short
 * transaction, so writers never wait long); call again while it purged
 * that many. */
#define STORE_PURGE_BATCH 500
enum st store_revocation_add(struct store *s, const unsigned char tag[16], int64_t exp,
                             struct err *e);
enum st store_revocation_find(struct store *s, const unsigned char tag[16], bool *revoked,
                              struct err *e);
enum st store_revocation_purge(struct store *s, int64_t now, int *purged, struct err *e);

/* Social-login apps. ST_CONFLICT for an existing id. */
enum st store_app_create(struct store *s, const char *cid, const struct login_app *app,
                         struct err *e);

/* Social-login apps of a customer, in creation order. _get: ST_NOT_FOUND. */
enum st store_app_get(struct store *s, struct arena *a, const char *cid, const char *id,
                      struct login_app *out, struct err *e);
enum st store_app_list(struct store *s, struct arena *a, const char *cid, struct login_app **out,
                       int *n, struct err *e);

/* Custom providers of an app, in creation order. _create: ST_NOT_FOUND for
 * an unknown app. _modify reads the provider and writes fn's result in one
 * transaction, so modifications are applied one after the other and none
 * is lost; ST_NOT_FOUND when it does not exist, else fn's status (strings
 * read are allocated from a). _delete: ST_PRECONDITION when the stored
 * etag is not expected_etag (NULL: any), ST_NOT_FOUND when it is gone. */
enum st store_provider_create(struct store *s, const char *cid, const struct provider_rec *p,
                              struct err *e);
enum st store_provider_get(struct store *s, struct arena *a, const char *cid, const char *app_id,
                           const char *id, struct provider_rec *out, struct err *e);
enum st store_provider_list(struct store *s, struct arena *a, const char *cid, const char *app_id,
                            struct provider_rec **out, int *n, struct err *e);
enum st store_provider_modify(struct store *s, struct arena *a, const char *cid, const char *app_id,
                              const char *id, provider_modify_fn fn, void *arg, struct err *e);
enum st store_provider_delete(struct store *s, const char *cid, const char *app_id, const char *id,
                              const char *expected_etag, struct err *e);

/* The check value of the key file the database belongs to (not a secret):
 * _find: ST_NOT_FOUND while none is recorded; _create records v unless a
 * value is recorded already (then it keeps that one: _find again to learn
 * which won). */
enum st store_key_check_find(struct store *s, unsigned char out[STORE_KEY_CHECK_LEN],
                             struct err *e);
enum st store_key_check_create(struct store *s, const unsigned char v[STORE_KEY_CHECK_LEN],
                               struct err *e);
/* Some configuration client's sealed secret, any one, to try a key on
 * (free out->blob). ST_NOT_FOUND when the database has no client. */
enum st store_secret_find_any(struct store *s, struct sealed_secret *out, struct err *e);

#endif
