/* SPDX-License-Identifier: MIT */
/*
 * saml: process-wide set-up of libxml2 and xmlsec (OpenSSL backend, linked
 * in: Debian's GnuTLS and gcrypt backends of xmlsec 1.2.37 have no ECDSA).
 * Once per process, never per response.
 */
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <xmlsec/xmlsec.h>
/* after xmlsec.h, which they need */
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>

#include "saml_int.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool started;

/* xmlsec reports every refused signature; the caller logs the check. */
static void on_xmlsec_error(const char *file, int line, const char *func, const char *obj,
                            const char *subj, int reason, const char *msg)
{
    (void)file;
    (void)line;
    (void)func;
    (void)obj;
    (void)subj;
    (void)reason;
    (void)msg;
}

static void on_xml_error(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void saml_quiet(void)
{
    /* libxml2 keeps these per thread: this thread's, and the default of
     * threads that first use libxml2 later */
    xmlSetGenericErrorFunc(NULL, on_xml_error);
    xmlThrDefSetGenericErrorFunc(NULL, on_xml_error);
}

static enum st start(struct err *e)
{
    xmlInitParser();
    if (xmlSecInit() < 0)
        return ERR(e, ST_INTERNAL, NULL, "xmlsec: initialisation failed");
    if (xmlSecCheckVersion() != 1) {
        xmlSecShutdown();
        return ERR(e, ST_INTERNAL, NULL, "xmlsec: the library is not the version built against");
    }
    if (xmlSecOpenSSLAppInit(NULL) < 0) {
        xmlSecShutdown();
        return ERR(e, ST_INTERNAL, NULL, "xmlsec: OpenSSL backend initialisation failed");
    }
    if (xmlSecOpenSSLInit() < 0) {
        xmlSecOpenSSLAppShutdown();
        xmlSecShutdown();
        return ERR(e, ST_INTERNAL, NULL, "xmlsec: OpenSSL backend initialisation failed");
    }
    xmlSecErrorsSetCallback(on_xmlsec_error);
    saml_quiet();
    return ST_OK;
}

enum st saml_init(struct err *e)
{
    pthread_mutex_lock(&lock);
    enum st st = started ? ST_OK : start(e);
    if (st == ST_OK)
        started = true;
    pthread_mutex_unlock(&lock);
    return st;
}

void saml_shutdown(void)
{
    pthread_mutex_lock(&lock);
    if (started) {
        xmlSecOpenSSLShutdown();
        xmlSecOpenSSLAppShutdown();
        xmlSecShutdown();
        started = false;
    }
    pthread_mutex_unlock(&lock);
}
