/* SPDX-License-Identifier: MIT */
/*
 * Request framing (RFC 9112): what the header fields libmicrohttpd parsed
 * say about where a request ends, refused when a proxy in front could
 * read it otherwise (request smuggling). Reads fields; answers nothing.
 */
#include "http_int.h"

#include <stdint.h>
#include <string.h>

/* What the header fields of a request say about its framing. */
struct fields {
    int content_length, transfer_encoding, host;
    const char *te; /* the Transfer-Encoding value */
    const char *cl; /* the Content-Length value */
    size_t te_len, cl_len;
    bool bad_name, bad_value, folded;
};

/* RFC 9110 §5.6.2 tchar. */
static bool tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool named(const char *key, size_t n, const char *name)
{
    return n == strlen(name) && util_strncaseeq(key, name, n);
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct fields *f = cls;
    /* A line folded onto the next (obs-fold) is appended by libmicrohttpd
     * 0.9.75 to the field's name, not its value ("Transfer-Encoding:" CRLF
     * " chunked" becomes a field "Transfer-Encodingchunked"), and leaves the
     * value where it was: before the end of the name, or before a name that
     * moved. An unfolded value always follows its name. */
    f->folded |= value && (uintptr_t)value <= (uintptr_t)key + key_size;
    f->bad_name |= key_size == 0;
    for (size_t i = 0; i < key_size; i++)
        f->bad_name |= !tchar((unsigned char)key[i]);
    for (size_t i = 0; value && i < value_size; i++) {
        unsigned char c = (unsigned char)value[i];
        f->bad_value |= (c < 0x20 && c != '\t') || c == 0x7f;
    }
    if (named(key, key_size, MHD_HTTP_HEADER_CONTENT_LENGTH) && f->content_length++ == 0) {
        f->cl = value ? value : "";
        f->cl_len = value ? value_size : 0;
    }
    if (named(key, key_size, MHD_HTTP_HEADER_TRANSFER_ENCODING) && f->transfer_encoding++ == 0) {
        f->te = value ? value : "";
        f->te_len = value ? value_size : 0;
    }
    if (named(key, key_size, MHD_HTTP_HEADER_HOST))
        f->host++;
    return MHD_YES;
}

/* Refuses what a proxy in front could frame differently from
 * libmicrohttpd (request smuggling, RFC 9112 §6.1, §6.3, §3.2): a
 * malformed or folded field, Content-Length with Transfer-Encoding, either one
 * repeated, Transfer-Encoding on HTTP/1.0 or other than "chunked" (the
 * only coding libmicrohttpd decodes: anything else it would read to the
 * end of the connection), a Content-Length not all digits, HTTP/1.1
 * without exactly one Host. Fills *why. */
enum st http_framing_check(struct MHD_Connection *conn, const char *version, const char **why)
{
    struct fields f = {0};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, on_field, &f);
    bool http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
    *why = f.folded      ? "header field folded over two lines (obs-fold)"
           : f.bad_name  ? "malformed header field name"
           : f.bad_value ? "control character in a header field"
           : f.content_length > 1 || f.transfer_encoding > 1
               ? "repeated Content-Length or Transfer-Encoding"
           : f.content_length && f.transfer_encoding ? "both Content-Length and Transfer-Encoding"
           : f.transfer_encoding && http10           ? "Transfer-Encoding in an HTTP/1.0 request"
           : f.host > 1 || (!http10 && f.host == 0)  ? "an HTTP/1.1 request needs one Host field"
                                                     : NULL;
    if (!*why && f.content_length &&
        (f.cl_len == 0 || strspn(f.cl, "0123456789") != f.cl_len || f.cl_len > 19))
        *why = "Content-Length is not a decimal number";
    if (*why)
        return ST_INVALID;
    if (f.transfer_encoding && !named(f.te, f.te_len, "chunked")) {
        *why = "the only transfer coding accepted is chunked";
        return ST_NOT_IMPLEMENTED;
    }
    return ST_OK;
}
