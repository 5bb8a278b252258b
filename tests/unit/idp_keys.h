/* SPDX-License-Identifier: MIT */
/*
 * Test keys of tests/unit/test_idp.c, private parts included on purpose:
 * an identity provider's RSA 2048, EC P-256 and Ed25519 signing keys, so
 * the tests sign id_tokens as an IdP does. They sign nothing else.
 */
#ifndef SG_TEST_IDP_KEYS_H
#define SG_TEST_IDP_KEYS_H

#define TEST_RSA_PEM                                                                               \
    "-----BEGIN PRIVATE KEY-----\n"                                                                \
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC1rYppVD+NSAdf\n"                           \
    "iMrbdimq3g9UgvOhmCqMvGaD3LanT9k9Hh1tYdZylhTljZxnOZDA0pr0BheCMZiQ\n"                           \
    "Xeu6ODKEX0fo+mNPLBGKYaNCZyk6LfVBYZXStdsyK7QgVPZnProMFBi+tJjsvtUR\n"                           \
    "Qhb36Tz/3i5LmFUViRIXHMk1BVA+cJ2AEvpAwsY031ffkSL5t0A+aRjjzZoxvZdW\n"                           \
    "7QlGxU0UQY9hvr+NlTSDRoL41AY7faIKM7q9J/Xqeq/j3SM9DSVf5MOgEj58MbHE\n"                           \
    "4RjZKXmUZRB01WXnvvlOvmXLP40GqDBF0m+m4m1Ad15sgi8uyJnqM/NcoMfOZeYq\n"                           \
    "KQ1rpYULAgMBAAECggEAOstbpLSgEH/D6xXg2F8IIwTUHzx1zdDpzDvYTUorTkAY\n"                           \
    "BKBvU4u7E8AgKR3IBNvrTYuam+gwyXB1eBr9A3nWV2JiajJF20RetNLeO8oY3Hwt\n"                           \
    "B6imDNfPhRABrgjw6P6yxN/oFidp6gvj9j7WIgq4M/HaN5qnxl1inloxf1gl3N6V\n"                           \
    "mASUDe9ADjJk7/nd+w8N1WT4ZyvpnnQNdClqEoFFM8qk5Wv2+gZqMm3xT0IP7gET\n"                           \
    "Tnv0HoXe5mtZbfcMm4wrFnbLVsIfjUhPqi0voEX8ioqjNbqcvx3JIdc4nUuUorXB\n"                           \
    "7GlRCwjQ8fYQbcKCtYq4UuGiJ0krlyDOtv0J4XYiWQKBgQD92WZaFhWu3Lk+rMTu\n"                           \
    "VEJVmBZocJqRAKJouHC5mg9p92de/awdUTaooqRFrIyrIRxY+CdLZtvwbSVrf2J8\n"                           \
    "x+ONWzcuqVb6QiRw4FLXywyGmFEEV5Isdf0W6hC40Jjf1cyUai2aI8EJKAN5zKmF\n"                           \
    "kyr/7YDO7M7I5Hjt5Ggek2gc9QKBgQC3N5nUzJ7MzfZJQhGryBL0eDRe+TNXFuSy\n"                           \
    "mxI/Cu1wPQu3qZmD2tkngJmyYL7cs5nX5GU3lBK36PMEL8AC+DyxihfQvdagUZED\n"                           \
    "l/uyxsIDbiD9XzqsP6vK6Kzr/f4BnpKTWKpnsSTwnwZfxKlgl/1F0DWAbQc0DlAe\n"                           \
    "F2HhbbHZ/wKBgDqsgUfZSvG7+uVNsccUmrCGEsfZHyDc8K0b1JJR1bY8hRwjriCo\n"                           \
    "oOWhki64j1sOsCqwUQTQpY2Q7NFIBE+rNCF8L+kNIxl9KEce0ocmW6LQmglS5Gp6\n"                           \
    "ayFcwLi3Hl6+YCb908SI9xlSslr4v0YsmgfFsbwiaDlu9bSm0poeoDXxAoGAD674\n"                           \
    "whiJ92oiDP9U1+mWhcrMYNzgIjJZfVh85VygGp1/JUelVn4jXJhLj9NsQyQ0pSBt\n"                           \
    "8aYBPDD6rH8R5q8tMt1pUHsPpkWVLkOSTilpbjW9KTM/qIMCx6nHM6RYW/chAO/0\n"                           \
    "FlA5o0dZmlURUq1wBsvd6JJsrW4UOZ8yx8NGGC0CgYB5MlGQjhrj4NI08sy0mUGA\n"                           \
    "lv3D3K7SIKUpuBeMVGDcKVHMQFt2mpxk+MN5w4uugygWfRFxt+ECyC9fvO9rynZ9\n"                           \
    "vgejSAaA+NUu0mnCpP0nXK4L3f4Vamo+vtIOPvY6r0QSuRzem4CcMvtPbLod3wxb\n"                           \
    "c5m6dc6+DyD2oHYTj5qivg==\n"                                                                   \
    "-----END PRIVATE KEY-----\n"

#define TEST_EC_PEM                                                                                \
    "-----BEGIN PRIVATE KEY-----\n"                                                                \
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBDvgG/+I2GTViLYy\n"                           \
    "Qf+WuXFA7cJOMhtFFNBzKYhpWCKhRANCAASqZKhp3238nz9Ux0S958rL/kjmxjAM\n"                           \
    "ZsgOOSJBCMim4iNEzKIBrqTytw97+gFcEGOefeMRP3gvNleeVbh5O05C\n"                                   \
    "-----END PRIVATE KEY-----\n"

#define TEST_ED_PEM                                                                                \
    "-----BEGIN PRIVATE KEY-----\n"                                                                \
    "MC4CAQAwBQYDK2VwBCIEIPgSbiMe/c/xQBELy/2Y/SHtQfGaW0foyseiERbGQQRp\n"                           \
    "-----END PRIVATE KEY-----\n"

#endif
