/* SPDX-License-Identifier: MIT */
/*
 * The OAuth 2.0 half of a run, shared by both protocols: the code
 * exchange at token_url (RFC 6749 §4.1.3 with PKCE, client_secret_basic
 * and one retry as client_secret_post on invalid_client), its answer in
 * JSON or form encoding (at most IDP_ANSWER_MAX bytes, of which the run
 * keeps a few members), and the profile fetched with the access token (at
 * most IDP_ANSWER_MAX bytes too); for oauth2 the subject taken from it.
 * The id_token is oidc.c's.
 */
#include "idp_int.h"

#include "../model/model.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define EXPIRES_DIGITS 10 /* a form-encoded expires_in read as a number */

static void pair(struct buf *b, const char *name, const char *value)
{
    if (b->len)
        buf_puts(b, "&");
    buf_puts(b, name);
    buf_puts(b, "=");
    buf_puts(b, util_pct_encode(b->a, value));
}

/* "Basic " and Base64(form-encoded id ":" form-encoded secret), RFC 6749
 * §2.3.1. */
static const char *basic(struct idp_run *r)
{
    const char *cred = arena_printf(&r->a, "%s:%s", util_pct_encode(&r->a, r->client_id),
                                    util_pct_encode(&r->a, r->secret));
    size_t n = strlen(cred);
    size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = arena_alloc(&r->a, len);
    sodium_bin2base64(b64, len, (const unsigned char *)cred, n, sodium_base64_VARIANT_ORIGINAL);
    return arena_printf(&r->a, OAUTH_BASIC " %s", b64);
}

void idp_token_request(struct idp_run *r)
{
    struct buf b;
    buf_init(&b, &r->a);
    pair(&b, OAUTH_GRANT_TYPE, V_AUTHORIZATION_CODE);
    pair(&b, P_CODE, r->code);
    pair(&b, P_REDIRECT_URI, r->callback);
    pair(&b, P_CODE_VERIFIER, r->verifier);
    bool in_body = r->post_auth || !r->secret;
    if (in_body) {
        pair(&b, OAUTH_CLIENT_ID, r->client_id);
        if (r->secret)
            pair(&b, OAUTH_CLIENT_SECRET, r->secret);
    }
    r->req = (struct net_request){
        .method = "POST",
        .url = r->token_url,
        .body = b.p,
        .body_len = b.len,
        .content_type = MEDIA_FORM,
        .accept = MEDIA_JSON,
        .authorization = in_body ? NULL : basic(r),
    };
    r->waiting = true;
}

/* A form-encoded answer as a JSON object of strings (expires_in as a
 * number when it is one), or NULL: it does not parse, repeats a name, or
 * holds a name or value that is not UTF-8. The parsed form lives in tmp. */
static json_t *form_object(struct arena *tmp, const struct net_response *resp)
{
    struct form f;
    if (oauth_form_parse(tmp, resp->body, resp->len, &f, NULL) != ST_OK)
        return NULL;
    json_t *o = json_object();
    for (int i = 0; i < f.n; i++) {
        const char *name = f.f[i].name, *value = f.f[i].value;
        json_t *v = NULL;
        if (!strcmp(name, OAUTH_EXPIRES_IN) && *value && strlen(value) <= EXPIRES_DIGITS &&
            strspn(value, "0123456789") == strlen(value))
            v = json_integer(strtoll(value, NULL, 10));
        else
            v = json_stringn(value, f.f[i].value_len);
        bool ok = v && !json_object_get(o, name);
        if (!ok)
            json_decref(v);
        /* json_object_set_new takes v even when it fails (a name not UTF-8) */
        if (!ok || json_object_set_new(o, name, v) != 0) {
            idp_json_wipe_free(o);
            return NULL;
        }
    }
    return o;
}

/* The token endpoint's answer as an object, or NULL when it does not read
 * (a form's parts in tmp). */
static json_t *token_object(struct arena *tmp, const struct net_response *resp)
{
    if (!resp->body)
        return NULL;
    if (util_media_is(resp->content_type, MEDIA_FORM))
        return form_object(tmp, resp);
    return idp_json_object(resp);
}

/* What an access token may hold: it goes into a header line. */
static bool token_chars(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* The failed check of a token answer (its object ans, or NULL; big when
 * it was over IDP_ANSWER_MAX and not read), or NULL. */
static const char *token_check(const struct net_response *resp, const json_t *ans, bool big)
{
    if (resp->status != 200)
        return "token endpoint status";
    if (big)
        return "token answer too large";
    if (!ans)
        return "token answer";
    if (json_object_get(ans, OAUTH_ERROR)) /* some IdPs say 200 with an error */
        return "token endpoint error";
    if (!token_chars(json_string_value(json_object_get(ans, OAUTH_ACCESS_TOKEN))))
        return "access_token";
    return NULL;
}

/* Copies string member name of ans into r's arena: *out stays NULL when
 * it is absent or not a string. False when it holds a NUL byte, which no
 * token, type or scope has, and a C string would cut. */
static bool keep(struct idp_run *r, const json_t *ans, const char *name, const char **out)
{
    const json_t *v = json_object_get(ans, name);
    *out = NULL;
    if (!json_is_string(v))
        return true;
    size_t n = json_string_length(v);
    if (memchr(json_string_value(v), '\0', n))
        return false;
    *out = arena_strndup(&r->a, json_string_value(v), n);
    return true;
}

/* Keeps the members of a good token answer that the run uses (RFC 6749
 * §5.1, OIDC Core §3.1.3.3), so the answer itself can go at once: a
 * run waiting at discovery, the key set or userinfo then holds at most
 * IDP_ANSWER_MAX bytes of it, never a parsed tree. False when one holds a
 * NUL byte. */
static bool keep_token(struct idp_run *r, const json_t *ans)
{
    const json_t *in = json_object_get(ans, OAUTH_EXPIRES_IN);
    json_int_t secs = json_is_integer(in) ? json_integer_value(in) : -1;
    /* at most ten years: now + expires_in cannot overflow */
    r->tok.expires_in = secs >= 0 && secs <= 10LL * 366 * 24 * 3600 ? secs : -1;
    r->tok.type_given = json_object_get(ans, OAUTH_TOKEN_TYPE) != NULL;
    return keep(r, ans, OAUTH_ACCESS_TOKEN, &r->tok.access) &&
           keep(r, ans, OIDC_ID_TOKEN, &r->tok.id_token) &&
           keep(r, ans, OAUTH_TOKEN_TYPE, &r->tok.type) &&
           keep(r, ans, OAUTH_SCOPE, &r->tok.scope) &&
           keep(r, ans, OIDC_REFRESH_TOKEN, &r->tok.refresh);
}

/* Whether ans asks for the client_secret_post retry: the IdP may take
 * that method only (RFC 6749 §2.3.1 allows it). */
static bool retry_with_post(const struct idp_run *r, const struct net_response *resp,
                            const json_t *ans)
{
    const char *error = json_string_value(json_object_get(ans, OAUTH_ERROR));
    return !r->post_auth && r->secret && (resp->status == 400 || resp->status == 401) && error &&
           !strcmp(error, OAUTH_ERR_INVALID_CLIENT);
}

void idp_token_answer(struct idp_run *r, const struct net_response *resp)
{
    if (resp->st != ST_OK) {
        idp_run_fail(r, IDP_PROVIDER_ERROR,
                     resp->st == ST_TOO_LARGE ? "token answer too large"
                                              : "token endpoint unreachable");
        return;
    }
    /* measured before it is parsed: a tree costs ~20 times its text */
    bool big = idp_too_large(resp, IDP_ANSWER_MAX);
    struct arena tmp;
    arena_init(&tmp);
    json_t *ans = big ? NULL : token_object(&tmp, resp);
    bool retry = retry_with_post(r, resp, ans);
    const char *check = NULL;
    if (!retry && !(check = token_check(resp, ans, big)) && !keep_token(r, ans))
        check = "token answer";
    idp_json_wipe_free(ans);
    arena_cleanup(&tmp); /* wipes a form answer's parts */
    if (retry)
        r->post_auth = true; /* still RS_TOKEN: the next step asks again */
    else if (check)
        idp_run_fail(r, IDP_PROVIDER_ERROR, check);
    else
        r->state = !strcmp(r->protocol, PROTO_OIDC) ? RS_ID_TOKEN : RS_PROFILE;
}

void idp_profile_request(struct idp_run *r)
{
    bool oidc = !strcmp(r->protocol, PROTO_OIDC);
    if (!r->profile_url) {
        if (oidc)
            idp_oidc_finish(r, NULL);
        else
            idp_run_fail(r, IDP_PROVIDER_ERROR, "no profile_url");
        return;
    }
    /* RFC 6750 is the only way we present a token */
    const char *t = r->tok.type;
    if (r->tok.type_given && !(t && strlen(t) == strlen(OAUTH_BEARER) &&
                               util_strncaseeq(t, OAUTH_BEARER, strlen(OAUTH_BEARER))))
        idp_run_fail(r, IDP_PROVIDER_ERROR, "token_type");
    else
        idp_run_get(r, r->profile_url, r->tok.access);
}

void idp_profile_answer(struct idp_run *r, const struct net_response *resp)
{
    if (resp->st != ST_OK && resp->st != ST_TOO_LARGE) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "userinfo unreachable");
        return;
    }
    if (resp->st == ST_OK && resp->status != 200) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "userinfo status");
        return;
    }
    /* measured before it is parsed; the document then lives until the
     * sign-in's data is made from it */
    if (idp_too_large(resp, IDP_ANSWER_MAX)) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "userinfo answer too large");
        return;
    }
    json_t *doc = idp_json_object(resp);
    if (!doc) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "userinfo answer");
        return;
    }
    if (!strcmp(r->protocol, PROTO_OIDC)) {
        idp_oidc_finish(r, doc);
        return;
    }
    const struct idp_provider view = {.attribute_map = r->attribute_map};
    const char *subject = idp_subject(&r->a, &view, doc);
    if (!subject) {
        json_decref(doc);
        idp_run_fail(r, IDP_LOGIN_FAILED, "subject missing");
        return;
    }
    idp_run_succeed(r, subject, doc, NULL);
}
