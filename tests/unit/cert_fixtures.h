/* SPDX-License-Identifier: MIT */
/* Certificates whose keys a SAML provider may or may not pin (made with
 * openssl genpkey and req -x509): the API refuses all but P-384 here, and
 * so does saml_key_parse for rows that never passed the API. */
#ifndef SG_TEST_CERT_FIXTURES_H
#define SG_TEST_CERT_FIXTURES_H

/* RSA 1024: too weak */
#define CERT_RSA_1024                                                                              \
    "MIIB/DCCAWWgAwIBAgIUGNgdowce81i4Jb8ao1eHBG0mtgEwDQYJKoZIhvcNAQELBQAwDzENMAsGA1UEAwwEdGVzdDAg" \
    "Fw0yNjExMjkyMjIwNTFaGA8yMTI2MTEwNTIyMjA1MVowDzENMAsGA1UEAwwEdGVzdDCBnzANBgkqhkiG9w0BAQEFAAOB" \
    "jQAwgYkCgYEA0f4bz1Irylxv2uqbJZZnSLmoZbblP8p8R+DD9T47vPJ9n0APOwTmVsrW1c28uzhH9MUIV6nn11XNI7jg" \
    "0JLgCFWrnBGhCXTRlVEmE4oTDfsXg8JkR+KyFNtxbc8KExCoBhYSZxr4ITgorrR+DFGXEG6QiTXF3ZjMXAu0zKL3MJ0C" \
    "AwEAAaNTMFEwHQYDVR0OBBYEFPuIBcCAx2uZUkXS3IDQfnBQCQM5MB8GA1UdIwQYMBaAFPuIBcCAx2uZUkXS3IDQfnBQ" \
    "CQM5MA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADgYEAQkpc/EW46maH15HhR/PNDlL+KKie8U+1uTPYkiwO" \
    "0/2w8gmFNaf32PHIkSOxKVHS/N+QQA/2em5SBjNavg69MH9onwUnG9Q9lEYvoNyq77/bIDKkadlNrXOnohf8hlxlIoPW" \
    "iv8C2jfqyR95yjxPiziaHHqrbWaJGthdruyBDW4="

/* RSA 2048 with the public exponent 2^33 + 1: too dear */
#define CERT_RSA_BIG_EXPONENT                                                                      \
    "MIIDAzCCAeugAwIBAgIURaleAewQicE8cr/FTtUqDHG5nHQwDQYJKoZIhvcNAQELBQAwDzENMAsGA1UEAwwEdGVzdDAg" \
    "Fw0yNjExMjkyMjIwNTFaGA8yMTI2MTEwNTIyMjA1MVowDzENMAsGA1UEAwwEdGVzdDCCASQwDQYJKoZIhvcNAQEBBQAD" \
    "ggERADCCAQwCggEBAMsGVilCH9qy7DpxAGnc2iNiU4Bzr17MID8FSh7JG6iz9A58zLvAgrU2W5fPD/hg4UqSK8E9Bsj+" \
    "zXPgIONn/K1stFxgQrmPYu4BXGgLdDKSy03ZWI6v+WHJDMbVzh4JPLT4CUmvTPpwuE5LzQ8hCZRp7sE3b+yoH96On9Jm" \
    "98bRJKJJeZWCxr7C5ln8CqntCb9MC9eQyiZZGipBFbQxjitjcesB3BwsCd8rB97PHvlBtqWjjnMuyskVY1iFxByO3QDg" \
    "GNaMbaXp5ldhAJXR8p1GYZEhd56ZX8nrBMhlrGQjYsPf1nTPT80/Wj+PKFt0J8ydH603MDGQkp2TCUX/SB8CBQIAAAAB" \
    "o1MwUTAdBgNVHQ4EFgQUzd4E9KPG4GT1gdoFPEazX2IEPy4wHwYDVR0jBBgwFoAUzd4E9KPG4GT1gdoFPEazX2IEPy4w" \
    "DwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAB4B/WjwtiNioWKzSrJb41VVOHzBucuC8ARk+oUyDoZRx" \
    "guhGqzj9MPsv6hkDxG3ka2zxLAH9xfszhEBBrH9HsSePety4RoTYKj0OzM6Afm/M4/cxurDob1nQjDG8iyhsXJYQYnDV" \
    "7jjV3dsxAlWbw7nNl9FnxpcR2SlMnO4cVDL63J5tLh7wajrjaVn5BwkDWzkVb221z9Ug7f4EI4Hp3UbWzOx7r0d0f6Xj" \
    "JZ/KmbK7hFv18n5gBwZy7ur4qe7tQT+iPgpCZru9hKN97lXbk2EVmyJGJt2X6O5gj2tBwwDIwuyKNEH03WMytv9G+cQ3" \
    "OdLvKMrK5Hz6LEque/PDdw=="

/* Ed25519: not a SAML signature key here */
#define CERT_ED25519                                                                               \
    "MIIBNDCB56ADAgECAhRo7LcdT6lAhzYzATL1DmYI9jTHCjAFBgMrZXAwDzENMAsGA1UEAwwEdGVzdDAgFw0yNjExMjky" \
    "MjIwNTFaGA8yMTI2MTEwNTIyMjA1MVowDzENMAsGA1UEAwwEdGVzdDAqMAUGAytlcAMhAHUN59dQle2J+vR/8yH9cKIG" \
    "u71Nr+U4ExA0m5zx6xNAo1MwUTAdBgNVHQ4EFgQUJJHWus4HveXPOWZ1ZmXK6wma4f0wHwYDVR0jBBgwFoAUJJHWus4H" \
    "veXPOWZ1ZmXK6wma4f0wDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXADQQBdkj6Ni5MBZHhvbz2fs1/Gi0gvYG1NLpLPqCIl" \
    "EN5ir0jo/i8qDdf1kRUTO1siAnjnfRZ0UD5y/IkspXDIz1QK"

/* ECDSA P-384: accepted */
#define CERT_EC_P384                                                                               \
    "MIIBsTCCATigAwIBAgIUEv6As8vRHSETCeucjK2BQ9y6ccIwCgYIKoZIzj0EAwIwDzENMAsGA1UEAwwEdGVzdDAgFw0y" \
    "NjExMjkyMjIwNTJaGA8yMTI2MTEwNTIyMjA1MlowDzENMAsGA1UEAwwEdGVzdDB2MBAGByqGSM49AgEGBSuBBAAiA2IA" \
    "BC3V09+g+fDCcz1WH23Z5IgM8d/j9mu9hish1rr1dhqYetqP8skCxkCzc/yt1Kfs0e6FPln+SSYw9ZMb7B3F9F/3K2Lx" \
    "obYSwTey9c6MmOm4WSrGRsHSiz0bBKkPDNHQcaNTMFEwHQYDVR0OBBYEFFWmEzPqKthc2nmqflLHswNLqCL/MB8GA1Ud" \
    "IwQYMBaAFFWmEzPqKthc2nmqflLHswNLqCL/MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDZwAwZAIwLvJ9QviB" \
    "KsqmRp++DBeG06yzfHnXP7aI+oZcXH1AobhwL4vc3ioCGBQ1dqWHXFgwAjBdlvaAnIdQ6hsy2wXwvBr2eUW5BG0JUwqX" \
    "Xl+ccfeYy2GGJtfo2j5gAW/+t8cRRCE="

/* ECDSA secp256k1: not a curve accepted */
#define CERT_EC_SECP256K1                                                                          \
    "MIIBczCCARigAwIBAgIULV0rjyBjd+2IaG2T4kWslJsxfY0wCgYIKoZIzj0EAwIwDzENMAsGA1UEAwwEdGVzdDAgFw0y" \
    "NjExMjkyMjIwNTJaGA8yMTI2MTEwNTIyMjA1MlowDzENMAsGA1UEAwwEdGVzdDBWMBAGByqGSM49AgEGBSuBBAAKA0IA" \
    "BBDFoa1UZnILBPz5kRHGfsBD3lGsbceox7ZXae5BUTELJsuVy2QosJjaR5A6qllEFgfFp4++jEsEjXbFRZ6pcV2jUzBR" \
    "MB0GA1UdDgQWBBS2wHJfBRFdFgmpzFo2ZJ9DMboqODAfBgNVHSMEGDAWgBS2wHJfBRFdFgmpzFo2ZJ9DMboqODAPBgNV" \
    "HRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDUcuxvjmHS4T0jpvTIDScUUQGJBE4o/pre2gkCFNw6AQIhAKAR" \
    "QXRgTgSb5tsz9Wwa9/djlyptGnDIjgqIn8uA7j1h"

#endif
