/* SPDX-License-Identifier: MIT */
/*
 * The scope grammar of SPEC §3: "METHOD:PATH" with PATH a glob over '/'
 * segments ('*' within a segment, a "**" segment for any number of them).
 * Matching is iterative with single-point backtracking: O(len(glob) *
 * len(path)) worst case, no recursion. It does not decide which scopes a
 * client may get (that is the token policy's job).
 */
#include "oauth.h"

#include <string.h>

bool oauth_scope_token_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = strnlen(s, SCOPE_MAX_LEN + 1);
    if (n == 0 || n > SCOPE_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* True when m[0..n) is "*" or an upper-case method name. */
static bool method_valid(const char *m, size_t n)
{
    if (n == 1 && m[0] == '*')
        return true;
    for (size_t i = 0; i < n; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    return n > 0;
}

/* True when g[0..n) is one glob segment: "**" alone, or a non-empty run of
 * path bytes and single '*' (no "**" inside a longer segment). */
static bool glob_segment_valid(const char *g, size_t n)
{
    if (n == 2 && g[0] == '*' && g[1] == '*')
        return true;
    for (size_t i = 0; i + 1 < n; i++)
        if (g[i] == '*' && g[i + 1] == '*')
            return false;
    return n > 0;
}

bool oauth_scope_valid(const char *s)
{
    if (!oauth_scope_token_valid(s))
        return false;
    const char *colon = strchr(s, ':');
    if (!colon || !method_valid(s, (size_t)(colon - s)))
        return false;
    const char *g = colon + 1;
    for (;;) {
        size_t n = strcspn(g, "/");
        if (!glob_segment_valid(g, n))
            return false;
        if (g[n] == '\0')
            return true;
        g += n + 1;
    }
}

/* Matches one segment against a glob segment where '*' is any run. */
static bool seg_match(const char *g, size_t gn, const char *s, size_t sn)
{
    size_t gi = 0;
    size_t si = 0;
    size_t star = SIZE_MAX;
    size_t mark = 0;
    while (si < sn) {
        if (gi < gn && g[gi] == '*') {
            star = ++gi;
            mark = si;
        } else if (gi < gn && g[gi] == s[si]) {
            gi++;
            si++;
        } else if (star != SIZE_MAX) {
            gi = star;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (gi < gn && g[gi] == '*')
        gi++;
    return gi == gn;
}

/* Segments of s[0..n) are addressed by the offset of their first byte; the
 * offset n + 1 means "past the last one". "" has no segments, "a/" two. */
static size_t seg_end(const char *s, size_t n, size_t off)
{
    const char *slash = memchr(s + off, '/', n - off);
    return slash ? (size_t)(slash - s) : n;
}

static bool is_dstar(const char *g, size_t gl, size_t off)
{
    return seg_end(g, gl, off) - off == 2 && g[off] == '*' && g[off + 1] == '*';
}

/* True when the segment of p at pi, ending at pe, is the text "**". */
static bool is_dstar_text(const char *p, size_t pi, size_t pe)
{
    return pe - pi == 2 && p[pi] == '*' && p[pi + 1] == '*';
}

/* Matches path p against glob g (non-empty), segment by segment; "**"
 * segments play the part '*' plays in seg_match. With p_is_glob, p is a
 * glob itself and a "**" segment of p (any number of segments) is matched
 * only by a "**" of g; its '*' runs, by seg_match's rules, only by '*'. */
static bool path_match(const char *g, size_t gl, const char *p, size_t pl, bool p_is_glob)
{
    size_t gi = 0;
    size_t pi = pl ? 0 : 1;
    size_t star = SIZE_MAX;
    size_t mark = 0;
    while (pi <= pl) {
        size_t pe = seg_end(p, pl, pi);
        if (gi <= gl && is_dstar(g, gl, gi)) {
            star = gi = seg_end(g, gl, gi) + 1;
            mark = pi;
        } else if (gi <= gl && !(p_is_glob && is_dstar_text(p, pi, pe)) &&
                   seg_match(g + gi, seg_end(g, gl, gi) - gi, p + pi, pe - pi)) {
            gi = seg_end(g, gl, gi) + 1;
            pi = pe + 1;
        } else if (star != SIZE_MAX) {
            gi = star;
            pi = mark = seg_end(p, pl, mark) + 1;
        } else {
            return false;
        }
    }
    while (gi <= gl && is_dstar(g, gl, gi))
        gi = seg_end(g, gl, gi) + 1;
    return gi > gl;
}

static bool method_covers(const char *m, size_t n, const char *method)
{
    if (n == 1 && m[0] == '*')
        return true;
    if (strlen(method) == n && memcmp(m, method, n) == 0)
        return true;
    return strcmp(method, "HEAD") == 0 && n == 3 && memcmp(m, "GET", 3) == 0;
}

bool oauth_scope_covers(const char *scope, const char *method, const char *path)
{
    if (!scope || !method || !path || !method[0] || !oauth_scope_token_valid(scope))
        return false;
    const char *colon = strchr(scope, ':');
    if (!colon || colon[1] == '\0')
        return false;
    size_t mn = (size_t)(colon - scope);
    if (!method_valid(scope, mn) || !method_covers(scope, mn, method))
        return false;
    const char *glob = colon + 1;
    return path_match(glob, strlen(glob), path, strlen(path), false);
}

/* Splits a valid "METHOD:PATH" scope at its colon; NULL when s is not one. */
static const char *split(const char *s, size_t *mn)
{
    const char *colon = oauth_scope_valid(s) ? strchr(s, ':') : NULL;
    if (!colon)
        return NULL;
    *mn = (size_t)(colon - s);
    return colon + 1;
}

bool oauth_scope_within(const char *inner, const char *outer)
{
    size_t in_n = 0, out_n = 0;
    const char *in_glob = split(inner, &in_n), *out_glob = split(outer, &out_n);
    if (!in_glob || !out_glob)
        return false;
    bool any = out_n == 1 && outer[0] == '*';
    if (!any) {
        char method[SCOPE_MAX_LEN + 1];
        memcpy(method, inner, in_n);
        method[in_n] = '\0';
        if (!strcmp(method, "*") || !method_covers(outer, out_n, method))
            return false;
    }
    return path_match(out_glob, strlen(out_glob), in_glob, strlen(in_glob), true);
}
