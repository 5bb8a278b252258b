/* SPDX-License-Identifier: MIT */
/*
 * A self-signed certificate (P-256, CN=localhost, subjectAltName
 * DNS:localhost and IP:127.0.0.1, valid for 100 years) and its key, for the
 * HTTPS server test_net.c starts. Test material only: trusted nowhere else.
 * Made with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256
 *   -days 36500 -nodes -subj /CN=localhost
 *   -addext subjectAltName=DNS:localhost,IP:127.0.0.1
 */
#ifndef SG_NET_TEST_CERT_H
#define SG_NET_TEST_CERT_H

static const char test_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBmzCCAUGgAwIBAgIUXwMPwgzFxdRqS+5U/7NWXZa69m4wCgYIKoZIzj0EAwIw\n"
    "FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyOTE2NDUyMloYDzIxMjYxMTA1\n"
    "MTY0NTIyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
    "PQMBBwNCAAQ7FqFkZc5YW553ay+w2J/scfuKt/wajgiVAdSHOwxSBPQ3OcHyFOj0\n"
    "yx09Yt79vmBIsi2tInZbfFRLa+rlP8Cgo28wbTAdBgNVHQ4EFgQUtmgJaEplh+lp\n"
    "t0g/tkhajbBMcikwHwYDVR0jBBgwFoAUtmgJaEplh+lpt0g/tkhajbBMcikwDwYD\n"
    "VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI\n"
    "zj0EAwIDSAAwRQIhANj/X/hwApQC86ZzbL0fNsoGZFxHOh6/t+AZLCVYuyFzAiAZ\n"
    "TJbokLrSm3lG8V0UigZKa3ZX16t240c0GwY+fS/Low==\n"
    "-----END CERTIFICATE-----\n";

static const char test_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+LPVG56MRMIKC5Ad\n"
    "hEFyE9f+VFVPx+ELTlPiFwwD6u+hRANCAAQ7FqFkZc5YW553ay+w2J/scfuKt/wa\n"
    "jgiVAdSHOwxSBPQ3OcHyFOj0yx09Yt79vmBIsi2tInZbfFRLa+rlP8Cg\n"
    "-----END PRIVATE KEY-----\n";

#endif
