/* SPDX-License-Identifier: MIT */
/*
 * util: the bottom layer. Error codes, per-request arenas, logging, secrets,
 * random identifiers, Base64url, time. Knows nothing of HTTP, SQL or OAuth;
 * every other directory may include this header, it includes none of theirs.
 */
#ifndef SG_UTIL_H
#define SG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- errors ------------------------------------------------------------ */

/* The one project-wide status type. ST_OK is zero; values come back through
 * out-parameters. Mapping to HTTP lives in api/ (one table). */
enum st {
    ST_OK = 0,
    ST_INVALID,       /* input is malformed (bad JSON, bad encoding) */
    ST_UNPROCESSABLE, /* well-formed input with invalid values */
    ST_NOT_FOUND,
    ST_CONFLICT,          /* uniqueness or reference conflict */
    ST_FORBIDDEN,         /* bearer token missing, invalid or insufficient */
    ST_UNAUTHORIZED,      /* client authentication failed */
    ST_METHOD,            /* method not allowed on this resource */
    ST_UNSUPPORTED_MEDIA, /* wrong Content-Type */
    ST_TOO_LARGE,         /* body over the limit */
    ST_PRECONDITION,      /* If-Match failed */
    ST_RATE_LIMITED,      /* too many failures: try again later */
    ST_NOT_IMPLEMENTED,   /* a protocol feature we do not support (a transfer coding) */
    ST_STORAGE,           /* the database failed */
    ST_INTERNAL,
    ST__COUNT
};

/* Returns a static lower-case name for a status ("not_found"). */
const char *st_name(enum st st);

#define ERR_MAX_DETAILS 16

struct err_detail {
    char field[96]; /* JSON Pointer to the offending field, "" when none */
    char reason[160];
};

/* Caller-owned error details. NULL everywhere means "don't care". */
struct err {
    enum st st;
    char msg[512]; /* room for two file paths */
    const char *file;
    int line;
    int ndetails;
    struct err_detail details[ERR_MAX_DETAILS];
};

/* Records st, a message and (if field != NULL) one detail in e, and returns
 * st. The first message wins; details accumulate up to ERR_MAX_DETAILS. */
enum st err_set(struct err *e, const char *file, int line, enum st st, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define ERR(e, st, field, ...) err_set((e), __FILE__, __LINE__, (st), (field), __VA_ARGS__)

/* Clears e (no-op on NULL). */
void err_clear(struct err *e);

/* ---- memory ------------------------------------------------------------ */

/* Out-of-memory aborts: a server restarts, it does not limp. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Per-request arena: everything allocated from it is wiped and freed at
 * once by arena_cleanup. Not thread-safe; one arena per request. */
struct arena_block;
struct arena {
    struct arena_block *head;
};

void arena_init(struct arena *a);
/* Returns zeroed memory, 16-byte aligned, owned by the arena. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_cleanup(struct arena *a);

/* A growing text buffer in an arena, for answers built without a JSON
 * library, with a cap: an append that would take len past max appends
 * nothing and sets overflow, and every later append is ignored (p then
 * holds what fitted, NUL-terminated). The caller checks overflow once at
 * the end. Not thread-safe; the arena aborts on exhaustion. */
struct buf {
    struct arena *a;
    char *p;
    size_t len, cap;
    size_t max;    /* bytes of text at most; buf_init sets BUF_MAX_DEFAULT */
    bool overflow; /* an append did not fit: p is incomplete */
};

/* The cap buf_init gives: 16 times the largest single answer (a provider,
 * MODEL_JSON_MAX_BYTES). A caller that needs more sets b->max after
 * buf_init (a provider list does). */
#define BUF_MAX_DEFAULT ((size_t)1024 * 1024)

void buf_init(struct buf *b, struct arena *a);
void buf_add(struct buf *b, const char *s, size_t n);
/* Appends a NUL-terminated string. */
void buf_puts(struct buf *b, const char *s);
/* Appends s as a JSON string, escaped as jansson's json_dumps escapes it:
 * '"' and '\\' with a backslash, \b \f \n \r \t by name, other bytes
 * below 0x20 as \u00XX (upper-case hex); nothing else ('/', DEL and
 * non-ASCII pass through). s must be UTF-8. */
void buf_json_string(struct buf *b, const char *s, size_t n);

/* ---- failure limits ----------------------------------------------------- */

/* Counts failures per key in fixed windows. Thread-safe; memory is bounded
 * (keys share a fixed table of 16,384 slots). A flood of other keys never
 * frees a key that reached its limit before its window ends; when the
 * table has no room for a key, lookups of keys it could not count answer
 * "wait" until the window ends (it fails closed). */
struct limiter;

struct limiter *limiter_new(int max_failures, int window_seconds);
void limiter_free(struct limiter *l);
/* Seconds until key may try again: 0 while it has had fewer than
 * max_failures in its current window. */
int limiter_retry_after(struct limiter *l, const char *key, int64_t now);
/* Records one failure of key. */
void limiter_fail(struct limiter *l, const char *key, int64_t now);

/* ---- metrics ------------------------------------------------------------ */

/* The process's counters, read by GET /metrics (Prometheus text format
 * 0.0.4) on the metrics listener. One registry per process, like the log:
 * every layer counts into it without a handle, and each update on a
 * request's path is one relaxed atomic add on a fixed slot (per route for
 * the requests), never a lock or an allocation. No label takes a value
 * from a request or a row (no customer, client, app or provider id): every
 * label value is one of a fixed set, so the output is bounded. */

#define METRICS_ROUTES_MAX 64  /* routes of the route table counted apart */
#define METRICS_CHECKS_MAX 160 /* named failed checks of a sign-in */

/* Where a failure limit refused a request. */
enum metrics_limiter {
    METRICS_LIMIT_CLIENT_AUTH, /* the token endpoints' client authentication */
    METRICS_LIMIT_SIGN_IN,     /* sign-ins begun per address */
    METRICS_LIMIT_AUTH_INFO,   /* auth_info's failed apiKeys per address */
    METRICS_LIMIT__COUNT
};

/* A route's labels: its method and pattern, static strings. */
struct metrics_route {
    const char *method;
    const char *pattern;
};

/* Names the routes: route_no i + 1 of metrics_request is routes[i] (at
 * most METRICS_ROUTES_MAX; the strings are borrowed for good). Call before
 * serving; calling again with the same table is harmless. */
void metrics_routes_set(const struct metrics_route *routes, int n);
/* Names the failed checks a sign-in may end with (static strings, at most
 * METRICS_CHECKS_MAX): any other check is counted as "other". Call before
 * serving. */
void metrics_checks_set(const char *const *checks, int n);

/* One answered request: route_no is its route's index + 1 (0: no route
 * matched), status the HTTP status, us the microseconds from its first
 * byte to its completion. */
void metrics_request(int route_no, int status, int64_t us);
void metrics_token_issued(void);
void metrics_client_auth_failed(void);
void metrics_limiter_tripped(enum metrics_limiter l);
/* One finished sign-in: protocol ("openidconnect", "oauth2", "saml2";
 * anything else or NULL counts as "unknown"), outcome ("ok",
 * "access_denied", "login_failed", "provider_error", "flow_expired",
 * "error_page"; anything else as "other") and the failed check (NULL on
 * success; one of metrics_checks_set's, else "other"). */
void metrics_sign_in(const char *protocol, const char *outcome, const char *check);
/* One group-commit batch of n writes, whose commit took commit_us (-1:
 * it did not commit). */
void metrics_batch(int n, int64_t commit_us);
/* One look-up of the store's read cache. */
void metrics_cache(bool hit);

/* Values the caller reads at rendering time. */
struct metrics_gauges {
    long open_connections;
    long requests_in_flight;
};

/* Appends the whole exposition, Prometheus text format 0.0.4, to b. */
void metrics_render(struct buf *b, const struct metrics_gauges *g);

/* ---- network addresses ------------------------------------------------ */

#define NET_ADDR_TEXT 48 /* an address as text, with a "/64" suffix, and NUL */

/* An IP address; IPv4 as its IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
struct net_addr {
    unsigned char b[16];
};

/* A range: the first bits of addr (IPv4 ranges count 96 + their length). */
struct net_cidr {
    struct net_addr addr;
    int bits;
};

/* Parses the n bytes at s as one address: IPv4 (optionally ":port"), IPv6,
 * or "[IPv6]" (optionally ":port"). False on anything else (names,
 * "unknown", spaces, empty). */
bool net_addr_parse(const char *s, size_t n, struct net_addr *a);
bool net_addr_is_v4(const struct net_addr *a);
/* Canonical text: dotted IPv4 for IPv4 (mapped or not), RFC 5952 IPv6. */
void net_addr_format(const struct net_addr *a, char out[NET_ADDR_TEXT]);
/* The network one holder controls: the IPv4 address itself, or the IPv6
 * /64 as "prefix::/64". */
void net_addr_format_net(const struct net_addr *a, char out[NET_ADDR_TEXT]);
/* Parses "ADDRESS" or "ADDRESS/LEN" (IPv4 or IPv6). ST_INVALID otherwise. */
enum st net_cidr_parse(const char *s, struct net_cidr *c, struct err *e);
bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a);

/* ---- logging ----------------------------------------------------------- */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Writes one line to stderr (or the log file): time, level, message.
 * Thread-safe. The format
 * must never receive a secret: secrets have their own type (struct secret)
 * that no log function accepts. */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_set_level(enum log_level lvl);

/* LOG_TEXT: `TIME LEVEL message` lines. LOG_JSON: one JSON object a line,
 * {"time","level","msg"} and the line's fields, every string escaped. */
enum log_format { LOG_TEXT, LOG_JSON };
void log_set_format(enum log_format f);

/* One structured field of a log line: a string, or when str is NULL the
 * number num. A NULL key ends nothing: the count is given. */
struct log_field {
    const char *key; /* a JSON member name: plain ASCII, never escaped */
    const char *str;
    long long num;
};

/* As log_msg, with fields: the text format writes the message alone (the
 * fields are in it already); the JSON format adds them as members after
 * "msg", so a reader need not parse the message. */
void log_fields(enum log_level lvl, const struct log_field *f, int n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Lines below LOG_WARN are buffered (up to 64 KiB) and written by
 * log_flush, which the server calls a few times a second and at exit;
 * warnings and errors flush at once. */
void log_flush(void);
/* Sends every later line to the file at path, appended (created 0640 when
 * absent), after writing the lines buffered so far to the previous output,
 * which it closes unless it is stderr. Called again with the same path
 * after a rename, it reopens: logrotate's way. ST_INVALID (e says why) if
 * path cannot be opened; the output is then unchanged. Thread-safe. */
enum st log_file_open(const char *path, struct err *e);

/* ---- the service manager ---------------------------------------------- */

/* Sends state ("READY=1", "STOPPING=1", ...) to the service manager when
 * it asked for it ($NOTIFY_SOCKET set, as systemd's Type=notify does):
 * sd_notify(3)'s protocol. True when sent; false, harmlessly, otherwise. */
bool util_notify(const char *state);

/* ---- secrets ----------------------------------------------------------- */

/* A secret value (client secret, key material). Wiped on cleanup. */
struct secret {
    size_t len;
    unsigned char b[96];
};

void secret_cleanup(struct secret *s);
/* Overwrites n bytes at p with zeros in a way the compiler keeps. */
void secret_wipe(void *p, size_t n);
/* Constant-time equality of two byte strings of equal length n. */
bool secret_equal(const void *a, const void *b, size_t n);

/* Key material of one installation, kept in a file of its own (mode 0600). */
#define KEYS_LEN 32
struct keys {
    unsigned char seal[KEYS_LEN];   /* XSalsa20-Poly1305 for secrets at rest */
    unsigned char verify[KEYS_LEN]; /* keyed hash of client secrets */
    unsigned char token[KEYS_LEN];  /* MAC of access tokens */
    unsigned char check[KEYS_LEN];  /* not secret: names the key (keyed BLAKE2b of a constant) */
};

#define KEYS_CREATE 1u     /* keys_load: create the file when it is absent */
#define KEYS_ALLOW_OPEN 2u /* keys_load: accept a file group or others may use */

/* Loads the master key from path, or (KEYS_CREATE and the file is absent)
 * creates it with mode 0600. Derives the sub-keys and the check value.
 * ST_FORBIDDEN (nothing read) when the file's mode gives group or others
 * any access, unless KEYS_ALLOW_OPEN (then a warning is logged);
 * ST_NOT_FOUND when absent; ST_INVALID when it is not a key file. The
 * message names the file. */
enum st keys_load(struct keys *k, const char *path, unsigned flags, struct err *e);
void keys_cleanup(struct keys *k);

/* Seals plaintext with keys->seal; *out (xmalloc'd) = nonce || box. */
void keys_seal(const struct keys *k, const void *plain, size_t n, unsigned char **out,
               size_t *outlen);
/* Opens a sealed blob into s. ST_INTERNAL on a bad blob or wrong key. */
enum st keys_unseal(const struct keys *k, const void *blob, size_t n, struct secret *s);
/* Opens a sealed blob of any size into *out (from a, NUL-terminated; *len
 * excludes the NUL; wiped with the arena). ST_INTERNAL on a bad blob. */
enum st keys_unseal_text(const struct keys *k, const void *blob, size_t n, struct arena *a,
                         char **out, size_t *len);
/* 32-byte keyed hash of a secret, for constant-time verification. */
void keys_verifier(const struct keys *k, const void *secret, size_t n, unsigned char out[32]);

/* ---- random identifiers, encodings -------------------------------------- */

/* Initialises libsodium and makes jansson allocate with xmalloc (out of
 * memory aborts); call once, before anything else and before any other
 * thread starts. */
enum st util_init(void);

/* Fills out with the Base64url (no padding) of nbytes random bytes;
 * out must hold 4 * ceil(nbytes / 3) + 1 characters. */
void util_random_b64url(char *out, size_t nbytes);
/* Writes a random UUID v4 (36 characters + NUL). */
void util_uuid_v4(char out[37]);
/* True when s is a UUID in canonical lower- or upper-case form. */
bool util_uuid_valid(const char *s);
/* Random string of n lower-case letters (+ NUL). */
void util_random_lower(char *out, size_t n);

/* Base64url without padding. Encode: out must hold 4*ceil(n/3)+1.
 * Decode: returns false on any bad character or when the result would not
 * be exactly outlen bytes. */
void util_b64url_encode(char *out, const void *in, size_t n);
bool util_b64url_decode(void *out, size_t outlen, const char *in, size_t inlen);
/* Standard Base64 (with padding) decoding, strict. Returns decoded length
 * or -1. out must hold inlen * 3 / 4 bytes. */
long util_b64_decode(unsigned char *out, size_t outcap, const char *in, size_t inlen);

/* Fills out with n bytes from a per-thread ChaCha20 stream keyed once from
 * the system's random source: as unpredictable as randombytes_buf, without
 * a system call per use. For nonces, ids and tags; keys and client secrets
 * take the system's source directly. */
void util_random_fast(void *out, size_t n);
/* Lower-case hex of nbytes (at most 64) bytes from the system's random
 * source (2 * nbytes characters + NUL): for secrets such as an app's key. */
void util_random_secret_hex(char *out, size_t nbytes);
/* Lower-case hex of nbytes random bytes (2 * nbytes characters + NUL). */
void util_random_hex(char *out, size_t nbytes);
/* Lower-case hex SHA-256 of n bytes (64 characters + NUL). */
void util_sha256_hex(const void *in, size_t n, char out[65]);

/* ---- time --------------------------------------------------------------- */

#define RFC3339_NS_LEN 30 /* 2026-11-26T08:00:00.123456789Z */

/* Writes the current UTC time as RFC 3339 with 9 fractional digits. */
void util_rfc3339_ns(char out[RFC3339_NS_LEN + 1]);

/* Seconds since the epoch (wall clock). */
int64_t util_now(void);
/* A clock like util_now; tests may give another. */
typedef int64_t (*clock_fn)(void);
/* Monotonic microseconds, for measuring durations. */
int64_t util_mono_us(void);

/* ---- strings ------------------------------------------------------------ */

/* ASCII case-insensitive comparison of n bytes. */
bool util_strncaseeq(const char *a, const char *b, size_t n);
/* Percent-decodes s[0..n) into out (which must hold n + 1 bytes); when
 * plus_is_space, '+' becomes ' '. Returns the decoded length or -1 on a bad
 * escape. The result is NUL-terminated and may contain NUL bytes. */
long util_pct_decode(char *out, const char *s, size_t n, bool plus_is_space);
/* s percent-encoded (from a): every byte but RFC 3986's unreserved
 * (ALPHA DIGIT - . _ ~) as %XX, upper-case hex. For query values and the
 * user-id and password of Basic (RFC 6749 §2.3.1). */
char *util_pct_encode(struct arena *a, const char *s);
/* True when content_type's media type (before any ';', spaces trimmed) is
 * exactly type, compared case-insensitively; false for NULL. */
bool util_media_is(const char *content_type, const char *type);

/* Percent-decodes the path of a request target, s[0..n) (no query), into
 * out (which must hold n + 1 bytes), keeping the segments as they are:
 * "%2F" stays "%2F" (a '/' inside a segment, never a separator) and "%25"
 * stays "%25" (so that the result reads one way only); both come out
 * upper-case. Returns the decoded length, or -1 on a bad escape, a raw
 * control byte or space, or an escape that decodes to a control byte
 * (0x00-0x1f, 0x7f). The result is NUL-terminated and holds no NUL. */
long util_path_decode(char *out, const char *s, size_t n);

/* False when the JSON text s[0..n) opens more than max nested objects or
 * arrays ('{' and '[' outside strings, less the closings before them), so
 * a recursive parser need not see it. Reads every byte once, allocates
 * nothing; s need not be valid JSON nor NUL-terminated. On text jansson
 * accepts it is exact: true iff its nesting is at most max. */
bool util_json_depth_within(const char *s, size_t n, int max);

#endif
