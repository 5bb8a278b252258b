/* SPDX-License-Identifier: MIT */
/*
 * A test certificate shared by the unit and in-process tests of SAML
 * providers. Test code only.
 */
#ifndef SG_TEST_CERT_H
#define SG_TEST_CERT_H

/* A self-signed P-256 certificate, DER, Base64 (CN=idp). */
#define CERT                                                                                       \
    "MIIBcjCCARmgAwIBAgIUDX7XN5oh+PPiiUUeKnw38dN7+3owCgYIKoZIzj0EAwIwDjEMMAoGA1UEAwwDaWRwMCAXDTI2" \
    "MTEyNjAwMzk0NloYDzIxMjYxMTAyMDAzOTQ2WjAOMQwwCgYDVQQDDANpZHAwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC" \
    "AAQB1xZOAhHY0ppJzEws5PCFAuvZ7bp7irkaOwYDGteyV1xINBvEFVGGLfMfsk8LIqwI1XEE07lL4jkAFONWXR/Fo1Mw" \
    "UTAdBgNVHQ4EFgQUT70E8lpzW+5ZzT8oUDEELHlps9EwHwYDVR0jBBgwFoAUT70E8lpzW+5ZzT8oUDEELHlps9EwDwYD" \
    "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiB9MPDJGfz6wiL76/MZIkdQRZOvzWqAAr3PGzoMhKFMnQIgRo0A" \
    "bPkkThbQrmH0sh6q4+JeE6miZRCYPfftU+AxUMs="

#endif
