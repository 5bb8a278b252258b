/* SPDX-License-Identifier: MIT */
/*
 * Every page and redirect of the sign-in runtime, so that escaping lives
 * in one place: values go into HTML only through esc(), into URLs only
 * through util's percent-encoding. Pages load nothing from elsewhere (the
 * chooser's icons apart, each allowed by its exact URL) and run one inline
 * script, allowed by its hash.
 */
#include "signin_int.h"

#include <string.h>

#define MEDIA_HTML "text/html; charset=utf-8"
/* The auto-POST page's only script; its hash is in CSP_POST. */
#define SUBMIT_JS "document.forms[0].submit();"
#define CSP_BASE "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
#define CSP_POST CSP_BASE "; script-src 'sha256-8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ='"

void page_headers(struct ctx *c)
{
    api_resp_header(c, "Referrer-Policy", "no-referrer");
    api_resp_header(c, "X-Frame-Options", "DENY");
}

/* Appends s as HTML text or a quoted attribute value. */
static void esc(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_add(b, s, 1);
        }
    }
}

static void head(struct buf *b, const char *title)
{
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    esc(b, title);
    buf_puts(b, "</title></head><body>\n");
}

static void send(struct ctx *c, int status, struct buf *b, const char *csp)
{
    buf_puts(b, "</body></html>\n");
    page_headers(c);
    api_resp_header(c, "Content-Security-Policy", csp);
    if (b->overflow) { /* only the chooser's list can grow: the operator's data */
        static const char over[] = "<!DOCTYPE html><title>Error</title><p>internal_error</p>\n";
        api_resp_text(c, 500, MEDIA_HTML, over, sizeof over - 1);
        return;
    }
    api_resp_text(c, status, MEDIA_HTML, b->p, b->len);
}

void page_error(struct ctx *c, int status, const char *code, const char *check)
{
    const char *rid = c->req->id ? c->req->id : "-";
    const char *spec = c->customer_id && c->id ? signin_specifier(c) : NULL; /* not the chooser's */
    struct log_field lf[] = {
        {"request_id", rid, 0}, {"error", code, 0}, {"check", check, 0}, {"provider", spec, 0}};
    log_fields(LOG_INFO, lf, spec ? 4 : 3, "sign-in request %s refused: %s (%s)", rid, code, check);
    struct buf b;
    buf_init(&b, c->a);
    head(&b, "Sign-in failed");
    buf_puts(&b, "<h1>Sign-in failed</h1>\n<p>Error: <code>");
    esc(&b, code);
    buf_puts(&b, "</code></p>\n<p>Request: <code>");
    esc(&b, c->req->id ? c->req->id : "-");
    buf_puts(&b, "</code></p>\n");
    send(c, status, &b, CSP_BASE);
}

void page_post(struct ctx *c, const char *url, const struct page_field *fields, int n)
{
    struct buf b;
    buf_init(&b, c->a);
    head(&b, "Signing in");
    buf_puts(&b, "<form method=\"post\" action=\"");
    esc(&b, url);
    buf_puts(&b, "\">\n");
    for (int i = 0; i < n; i++) {
        buf_puts(&b, "<input type=\"hidden\" name=\"");
        esc(&b, fields[i].name);
        buf_puts(&b, "\" value=\"");
        esc(&b, fields[i].value);
        buf_puts(&b, "\">\n");
    }
    buf_puts(&b, "<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n"
                 "<script>" SUBMIT_JS "</script>\n");
    send(c, 200, &b, CSP_POST);
}

void page_redirect(struct ctx *c, const char *url)
{
    page_headers(c);
    api_resp_header(c, HDR_LOCATION, url);
    api_resp_empty(c, 302);
}

void page_redirect_with(struct ctx *c, const char *url, const struct page_field *fields, int n)
{
    struct buf b;
    buf_init(&b, c->a);
    size_t frag = strcspn(url, "#"); /* a token_url has none; kept correct anyway */
    buf_add(&b, url, frag);
    for (int i = 0; i < n; i++) {
        buf_puts(&b, i > 0 || memchr(url, '?', frag) ? "&" : "?");
        buf_puts(&b, util_pct_encode(c->a, fields[i].name));
        buf_puts(&b, "=");
        buf_puts(&b, util_pct_encode(c->a, fields[i].value));
    }
    buf_add(&b, "", 1);
    page_redirect(c, b.p);
}

/* True when u can stand in a CSP source list as itself. */
static bool csp_safe(const char *u)
{
    return u && !strncmp(u, "https://", 8) && !u[strcspn(u, " ;,'\"\\")];
}

void page_chooser(struct ctx *c, const char *app_name, const struct page_choice *v, int n)
{
    struct buf b, csp;
    buf_init(&b, c->a);
    buf_init(&csp, c->a);
    buf_puts(&csp, CSP_BASE);
    bool imgs = false;
    head(&b, app_name);
    buf_puts(&b, "<h1>Sign in to ");
    esc(&b, app_name);
    buf_puts(&b, "</h1>\n<ul>\n");
    for (int i = 0; i < n; i++) {
        buf_puts(&b, "<li><a href=\"");
        esc(&b, v[i].href);
        buf_puts(&b, "\">");
        if (csp_safe(v[i].icon_url)) {
            buf_puts(&csp, imgs ? " " : "; img-src ");
            buf_puts(&csp, v[i].icon_url);
            imgs = true;
            buf_puts(&b, "<img src=\"");
            esc(&b, v[i].icon_url);
            buf_puts(&b, "\" alt=\"\" width=\"24\" height=\"24\"> ");
        }
        esc(&b, v[i].title);
        buf_puts(&b, "</a></li>\n");
    }
    if (n == 0)
        buf_puts(&b, "<li>No sign-in provider is configured.</li>\n");
    buf_puts(&b, "</ul>\n");
    buf_add(&csp, "", 1);
    send(c, 200, &b, csp.overflow ? CSP_BASE : csp.p);
}

void page_hand_over(struct ctx *c, bool post, const char *url, const struct page_field *fields,
                    int n)
{
    if (post)
        page_post(c, url, fields, n);
    else
        page_redirect_with(c, url, fields, n);
}
