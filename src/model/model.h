/* SPDX-License-Identifier: MIT */
/*
 * model: the entities of the configuration API (token policies, clients,
 * social-login apps) as C structs, their validation, and their one
 * conversion from and to JSON each. Knows neither HTTP nor SQL.
 */
#ifndef SG_MODEL_H
#define SG_MODEL_H

#include <jansson.h>

#include "../util/util.h"

/* Field names on the wire, defined once. */
#define F_ID "id"
#define F_LINKS "_links"
#define F_SELF "self"
#define F_HREF "href"
#define F_TITLE "title"
#define F_ACCESS_LIFETIME "accessTokenLifetime"
#define F_REFRESH_LIFETIME "refreshTokenLifetime"
#define F_ALLOWED_SCOPES "allowedScopes"
#define F_NAME "name"
#define F_TYPE "type"
#define F_TOKEN_POLICY "tokenPolicy"
#define F_SECRET "secret"
#define F_REALM "realm"
#define F_API_KEY "apiKey"
#define F_TOKEN_URLS "token_urls"
#define F_SETTINGS "settings"
#define F_POST_TOKENS "post_tokens_to_token_url"
#define F_TOKEN_TTL "token_ttl"
#define F_STANDARD_CLAIMS "standard_claims"
#define F_RETURN_ACCESS "return_access_credentials"
#define CLIENT_TYPE_CONFIDENTIAL "confidential"

#define POLICY_LIFETIME_MIN 60
#define POLICY_LIFETIME_MAX 3600
#define POLICY_LIFETIME_DEFAULT 3600
#define POLICY_REFRESH_DEFAULT 7776000
#define POLICY_SCOPES_MAX 32 /* a token's scope mask has 32 bits */
#define NAME_MAX_LEN 256

#define UUID_LEN 36
#define CLIENT_ID_LEN 32     /* Base64url of 24 random bytes */
#define CLIENT_SECRET_LEN 43 /* Base64url of 32 random bytes: 256 bits */
#define APP_ID_LEN 20        /* lower-case letters */
#define APP_KEY_LEN 40       /* lower-case hex of 20 random bytes */

#define APP_TOKEN_TTL_MIN 30
#define APP_TOKEN_TTL_MAX 600
#define APP_TOKEN_TTL_DEFAULT 120
#define APP_TOKEN_URLS_MAX 64
#define APP_SETTINGS_DEFAULT_JSON                                                                  \
    "{\"" F_POST_TOKENS "\":true,\"" F_TOKEN_TTL "\":120,\"" F_STANDARD_CLAIMS                     \
    "\":false,\"" F_RETURN_ACCESS "\":false}"

struct policy {
    char id[UUID_LEN + 1];
    const char *title;
    int64_t access_lifetime;
    int64_t refresh_lifetime;
    int nscopes;
    const char **scopes;
};

struct client {
    char id[CLIENT_ID_LEN + 1];
    const char *name;
    const char *type;
    char policy_id[UUID_LEN + 1];
};

/* A social-login app. token_urls (a JSON array of URLs) and settings (a
 * JSON object) travel as the JSON text login_app_patch writes, so the
 * store and its cache handle them as plain strings; NULL reads as the
 * defaults ([] and APP_SETTINGS_DEFAULT_JSON). */
struct login_app {
    char id[APP_ID_LEN + 1];
    const char *name;
    const char *realm;
    const char *token_urls;
    const char *settings;
};

/* An app's settings (SPEC §7.1). */
struct app_settings {
    bool post_tokens_to_token_url;
    int64_t token_ttl; /* seconds, APP_TOKEN_TTL_MIN..MAX */
    bool standard_claims;
    bool return_access_credentials;
};

/* Converts a request body to a policy: validates every member, rejects
 * unknown ones, applies defaults, ignores the server-set id and _links.
 * Strings point into body or the arena (body must outlive p). Returns
 * ST_INVALID when body is not an object, ST_UNPROCESSABLE with one detail
 * per offending field otherwise. p->id is left as it was. */
enum st policy_from_json(struct arena *a, const json_t *body, struct policy *p, struct err *e);

/* Checks the invariants of a policy (lifetimes, counts, each scope follows
 * the grammar of SPEC §3 and none repeats: 422 "/allowedScopes/<i>").
 * Never mutates. */
enum st policy_validate(const struct policy *p, struct err *e);

/* Returns a new JSON object for p (with _links.self = self_href when not
 * NULL). full == false gives the list form {id, title, _links}. */
json_t *policy_to_json(const struct policy *p, const char *self_href, bool full);

/* Converts a request body to a client (name, type, tokenPolicy); same rules
 * as policy_from_json. c->id is left as it was. */
enum st client_from_json(struct arena *a, const json_t *body, struct client *c, struct err *e);
enum st client_validate(const struct client *c, struct err *e);
/* full == false gives the list form {id, name, _links}. secret, when not
 * NULL, is added as "secret". */
json_t *client_to_json(const struct client *c, const char *self_href, bool full,
                       const char *secret);

/* Checks an app's id (20 lower-case letters), name, realm (http(s) URL
 * without a trailing slash), token_urls and settings. Never mutates. */
enum st login_app_validate(const struct login_app *app, struct err *e);

/* Sets token_urls and settings to their defaults (static strings). */
void login_app_defaults(struct login_app *app);

/* Applies the merge patch (RFC 7396) to the changeable members of cur
 * (name, realm, token_urls, settings) into *out (strings from a; out->id
 * is cur's). ST_INVALID when patch is not an object; ST_UNPROCESSABLE
 * with one JSON Pointer per bad field: unknown members, an id other than
 * cur's, an empty or long name, a realm or token URL failing
 * app_url_validate (a realm ending in '/' too), settings out of range or
 * unknown. Settings come out complete, defaults filled in. */
enum st login_app_patch(struct arena *a, const struct login_app *cur, const json_t *patch,
                        struct login_app *out, struct err *e);

/* Returns the shown app: _links.self (when self_href), id, name, realm,
 * token_urls, settings (complete). Never the apiKey. */
json_t *login_app_to_json(const struct login_app *app, const char *self_href);

/* The strong ETag of an app: SHA-256 hex of what it shows. */
void login_app_etag(const struct login_app *app, char out[65]);

/* app's settings with defaults for absent members; ST_INTERNAL (and the
 * defaults) when the stored text does not read. */
enum st app_settings_get(const struct login_app *app, struct app_settings *out);

/* The URL rule of token_urls and realm: an absolute http(s) URL with a
 * host (letters, digits, '-', '.', or a bracketed IPv6 address) and an
 * optional port 1-65535; https, or http on localhost, 127.0.0.1 or [::1]
 * only; no userinfo, fragment, backslash, space, quote, angle bracket or
 * non-ASCII byte; at most 2048 characters. ST_UNPROCESSABLE with field. */
enum st app_url_validate(const char *url, const char *field, struct err *e);

/* Whether a sign-in may use url as its token_url: url passes
 * app_url_validate, no segment of its path is "." or ".." (also
 * percent-encoded) and it encodes no slash or backslash (%2F, %5C), and
 * some entry of app->token_urls has the same scheme, host and port
 * (case-insensitive scheme and host; an absent port is the scheme's
 * default, so https://a and https://a:443 are equal) and a path that is
 * url's path or a prefix of it ending on a segment boundary: the entry's
 * path ends with '/' or url's path continues with '/' (so /cb allows /cb,
 * /cb?x and /cb/more, never /cbevil). An empty path is "/". Queries are
 * not compared. Pure; thread-safe. */
bool app_token_url_allowed(const struct login_app *app, const char *url);

/* A new app key: APP_KEY_LEN lower-case hex characters from the system's
 * random source. */
void app_key_generate(char out[APP_KEY_LEN + 1]);

/* ---- custom providers (SPEC §5) ----------------------------------------- */

#define PROTO_OIDC "openidconnect"
#define PROTO_OAUTH2 "oauth2"
#define PROTO_SAML2 "saml2"
#define F_PROTOCOL "protocol"
#define F_CLIENT_SECRET "client_secret"
#define F_CREATED_AT "createdAt"
#define F_UPDATED_AT "updatedAt"
#define F_COLLECTION "collection"
#define F_CALLBACK "callback"
#define F_ITEM "item"
#define F_EMBEDDED "_embedded"
#define F_TEMPLATED "templated"
#define F_UI "ui"
#define F_ICON_URL "icon_url" /* in ui */
#define F_AUTH_URL "auth_url"
#define F_TOKEN_URL "token_url"
#define F_PROFILE_URL "profile_url"
#define F_CLIENT_ID "client_id"
#define F_SCOPES "scopes"
#define F_IDP_CERTIFICATE "idp_certificate"
#define F_AUTHN_CONTEXT "authn_context"
#define F_ATTRIBUTE_MAP "attribute_map"

/* The server-set members of a provider. */
struct provider_meta {
    const char *id;
    const char *created_at;
    const char *updated_at;
};

/* The links of a provider representation (absolute URLs). */
struct provider_links {
    const char *self;
    const char *collection;
    const char *callback;
};

/* Validates the client-set fields of a provider: doc is a JSON object
 * without server members. ST_INVALID when doc is not an object, else
 * ST_UNPROCESSABLE with one detail (a JSON Pointer) per offending field:
 * unknown or other-protocol fields, missing required ones, non-https URLs,
 * wrong types, attribute_map keys and values, a certificate that does not
 * parse, a document beyond MODEL_JSON_BOUNDS. Never mutates. */
enum st provider_validate(const json_t *doc, struct err *e);

/* Deletes the server-set members (id, createdAt, updatedAt, _links). */
void provider_strip_server(json_t *doc);

/* Returns the name of the first server-set member that differs between
 * two representations (present in one and not the other, or unequal), or
 * NULL when none does. */
const char *provider_server_changed(const json_t *before, const json_t *after);

/* Returns the full representation: _links, id, createdAt, updatedAt, then
 * a copy of every member of doc (client_secret included, as Identity Cloud
 * does). */
json_t *provider_to_json(const json_t *doc, const struct provider_meta *m,
                         const struct provider_links *l);

/* Returns the members a list shows besides _links and id: protocol,
 * title and ui (when set). */
json_t *provider_summary(const json_t *doc);

/* ---- provider wire text (no JSON library on the read path) ------------- */

/* The cap of a list answer. The number of providers of an app has no
 * bound, but a list item is at most a document's size (its summary is a
 * part of the document, MODEL_JSON_MAX_BYTES) plus ~200 bytes: 8 MiB holds
 * 127 items of that worst case and some 25,000 of a usual size (~330
 * bytes). Past it GET answers 500 rather than growing without end. */
#define PROVIDER_LIST_MAX_BYTES (8 * 1024 * 1024)

/* A stored provider as it is answered: the compact text of its document
 * without client_secret (as json_dumps(..., JSON_COMPACT) wrote it), and
 * the secret in clear, or NULL when the caller may not see it. */
struct provider_text {
    const char *doc;
    const char *secret;
    size_t secret_len;
};

/* Appends the full representation to b: the same bytes as
 * json_dumps(provider_to_json(d, m, l), JSON_COMPACT), d being t->doc
 * parsed with client_secret (when t->secret) added last. ST_OK, or
 * ST_INTERNAL when b reached its cap (b->overflow; b then holds a prefix). */
enum st provider_format(struct buf *b, const struct provider_meta *m,
                        const struct provider_links *l, const struct provider_text *t);

/* One provider of a list. */
struct provider_item {
    const char *self; /* its _links.self href */
    const char *id;
    const char *summary; /* compact text of provider_summary; NULL or "" for a
                          * row stored before summaries were */
    const char *doc;     /* its stored document, parsed only then */
};

/* Appends {"_links":{"self":{"href":self}},"id":id, the summary members}
 * to b. Errors as provider_format. */
enum st provider_item_format(struct buf *b, const struct provider_item *it);

/* Appends the HAL list of SPEC §5 #3: _links (self, the templated item
 * link), then _embedded.item, each of the n items as provider_item_format
 * writes it. Errors as provider_format (a list has no bound of its own:
 * give b a cap that fits the largest answer, PROVIDER_LIST_MAX_BYTES). */
enum st provider_list_format(struct buf *b, const char *self, const struct provider_item *items,
                             int n);

/* Writes "/parent/key" with RFC 6901 escaping of key ('~' → "~0", '/' →
 * "~1") into out, truncating at cap. parent may be "" for the root. */
void model_pointer(char *out, size_t cap, const char *parent, const char *key);

/* ---- bounds on JSON documents ------------------------------------------ */

#define MODEL_JSON_MAX_BYTES (64 * 1024)                 /* a document's largest compact text */
#define MODEL_JSON_MAX_DEPTH 64                          /* its deepest nesting of {} and [] */
#define MODEL_PATCH_MAX_WORK (16 * MODEL_JSON_MAX_BYTES) /* see struct json_bounds */

/* Limits on a document: bytes of compact text, nesting depth; and for a
 * JSON Patch, work: the bytes of values its operations may copy, replace
 * or remove, in all (each costs time in proportion, even when the document
 * stays small; unused by model_json_bound). */
struct json_bounds {
    size_t bytes;
    int depth;
    size_t work;
};

/* The bounds every stored or patched document keeps (the request body limit). */
#define MODEL_JSON_BOUNDS                                                                          \
    ((struct json_bounds){MODEL_JSON_MAX_BYTES, MODEL_JSON_MAX_DEPTH, MODEL_PATCH_MAX_WORK})

/* What a value measures. bytes is its compact text length as json_dumps
 * writes it, except that a control character in a string counts as its
 * longest escape (\u00XX), so it also bounds buf_json_string's form.
 * depth counts nested objects and arrays: 0 for a scalar, 1 for {} or []. */
struct json_size {
    size_t bytes;
    int depth;
};

/* Measures v (NULL measures 0). Stops early once bytes exceed cap: then
 * bytes > cap is all that is known, and depth may be short. Costs O(cap)
 * at most; allocates nothing. Thread-safe. */
struct json_size model_json_measure(const json_t *v, size_t cap);

/* Bytes of the JSON string literal of s[0..len), as model_json_measure
 * counts them (quotes included). */
size_t model_json_string_size(const char *s, size_t len);

/* ST_OK when v fits b; otherwise ST_UNPROCESSABLE with one detail at field
 * (may be NULL) saying which bound. Never mutates. */
enum st model_json_bound(const json_t *v, const struct json_bounds *b, const char *field,
                         struct err *e);

/* ---- JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7396) ----------- */

/* RFC 7396: returns a new value, the result of merging patch into target
 * (target is not modified; NULL target counts as absent). Never fails. */
json_t *model_patch_merge(const json_t *target, const json_t *patch);

/* RFC 6902: applies the operations of patch, in order, to a deep copy of
 * doc; on success *out is the new document (owned by the caller). The whole
 * patch applies or nothing does: doc is never modified. Errors, each with
 * one detail whose field is the operation's pointer "/<index>":
 *   ST_INVALID       not a patch document: not an array, an operation not
 *                    an object, an unknown "op", a missing or ill-typed
 *                    member, a malformed JSON Pointer (RFC 6901);
 *   ST_UNPROCESSABLE a "path" or "from" that does not exist, an array index
 *                    out of range, "move" into its own child;
 *   ST_CONFLICT      a "test" operation that does not hold.
 * The work is bounded by what the patch produces: an operation that would
 * grow the document past MODEL_JSON_BOUNDS (bytes), or place a value
 * nested deeper than it, is refused with ST_UNPROCESSABLE before anything
 * is built; a "copy" measures its source before copying it. So is the
 * operation that brings the bytes copied, replaced or removed past the
 * bound's work (1 MiB by default), so that no patch of a small document
 * costs more than a few milliseconds. */
enum st model_patch_apply(const json_t *doc, const json_t *patch, json_t **out, struct err *e);

/* True when the JSON Patch patch (an array) reads the value at pointer (an
 * RFC 6901 pointer to a member of the root, e.g. "/client_secret"): a copy
 * or move from it, from inside it or from the whole document, or a test of
 * any of those. Never mutates; any other input is false. */
bool model_patch_reads(const json_t *patch, const char *pointer);

/* model_patch_apply within the bounds b instead of MODEL_JSON_BOUNDS. */
enum st model_patch_apply_within(const json_t *doc, const json_t *patch,
                                 const struct json_bounds *b, json_t **out, struct err *e);

/* Fresh identifiers. */
void client_id_generate(char out[CLIENT_ID_LEN + 1]);
void client_secret_generate(char out[CLIENT_SECRET_LEN + 1]);

/* Joins scopes[i] for every bit i set in mask with single spaces; returns
 * an arena string ("" when none). */
char *scopes_join(struct arena *a, const char *const *scopes, int n, uint32_t mask);

#endif
