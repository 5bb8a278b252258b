/* SPDX-License-Identifier: MIT */
/*
 * Test keys of tests/unit/test_saml.c and tests/fuzz/fuzz_saml.c, private
 * parts included on purpose: an identity provider's RSA 2048 and EC P-256
 * signing keys with their self-signed certificates (what a provider's
 * idp_certificate holds: Base64 DER), and an attacker's RSA key whose
 * certificate names the same subject. They sign nothing else.
 */
#ifndef SG_TEST_SAML_KEYS_H
#define SG_TEST_SAML_KEYS_H

#define SAML_RSA_KEY                                                                               \
    "-----BEGIN PRIVATE KEY-----\n"                                                                \
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCZahE+qS+wk13D\n"                           \
    "1XMf1hSXJxojNcDeITWkouOTZCqh+B3yGEmTPXrut/YdVFuxZMAXcfAMApwrL/A3\n"                           \
    "q1VF0nMWLFIqukmam9GeOjmOO0pWfaoIwBZ67EoZ0ZXMDjSHRkCjQxZu08DFEo46\n"                           \
    "KUOZX8LxJll8cDZb37rXwC6Gc1b31z19DKvANiWWudxKf+nn0lh0dNdZbYAWXv2x\n"                           \
    "iW5s5DShq904YHikpgdYg+NbaxwD7CJr8XOZnbNV+G9ogHXacpb04DJmolBk8VHh\n"                           \
    "OEmNYOMChGXzjlp5Lg4ISdRS6yM928siSPj7/i2t3kNvmOSNYWl9R3Rk7t5Q/1Cp\n"                           \
    "zlcPTqLHAgMBAAECggEARQULqhm6u2GpWxwSNb3+OHyejT23PhhJxn6EDUEQzxrN\n"                           \
    "+ieEHmqX/oMkBlD4CaiOpV2cxgJ8mQ9xrtH1xLpoDY82DkQOLjExDtMaJsu055GU\n"                           \
    "qGgnFPluYwxALPQtHLj2Bp19n7HDtcXh1/fNklibXxvGQa5IPnA64qrzI4kLlOd9\n"                           \
    "vXnjAtQ4WSxR9P8jgX7AAIfc8aqcBirSR6+yCjnq5RcIWbOvc4yQcRd6XwJmGgrl\n"                           \
    "0eC1k6dzcyv3Tp/XDXFL8uPZYzo3wVCAOQzN8yZuV8m6tSbptEKCb3s6Wvgw6Ijn\n"                           \
    "EOl7e7BoHAajLICPDhSlXe99aE+iNbvK2ntZNYy/DQKBgQDWuK0XhlA9yxeAQjNy\n"                           \
    "OgAJRszb3YFB6Wi/+JTVXZnQHfj05OuWfqeSX6W8QAUgB/nVrXn1D0gN7ITLyylZ\n"                           \
    "DqRvwn5lsWgkAGBYhZFhZ+6maSidJsWrkb7evYW7XFBnOJBtU1WYNaDT3X+YfIyU\n"                           \
    "ESX84l1SlLUqiwFR90asRdub7QKBgQC26DfTf4r/cpSVYu4xTTV0gaXVak9SZ00W\n"                           \
    "qxyDi4vvnOIWwhSSNNLXH1c8O1JaJqoeaEVOKrawmkY4k1vCrGFTxo9PoHLz9MSR\n"                           \
    "1NnlHLQ3HlSw126XGFUcAhvz/csMqF8Mgb7HufinEliffLzqoRwC5QemUtGmkGht\n"                           \
    "zikMMVcrAwKBgACEhXZPDpZ3jOD0R+d4mFNtZkUJbaxZAbWkxccV6K8Fw3njq2W7\n"                           \
    "fG/v5xhjFyASpNmNB4Q9uzC9ZzyOitT6Ig9a6q8YFGYx0gmkmMshUwP3sO9gDo3x\n"                           \
    "VgJ3doETIeZ9zmtVDhnF11Nrb0lQ043v1KWdbhgq35zwpNorvHHh4TupAoGATHZV\n"                           \
    "aCgIbnNy4+RgmOGi+Bp+vfHcSSGAG3rax68dh8S4yzTFLr3Aakfiyv4tlhxVv7Jt\n"                           \
    "TpkSmE9WDa6kjIRNh50ZKft0MsHfLuuhT2Mpf2VBmE/nHmkAo13KW7x8FsWIPo06\n"                           \
    "uPnolcdYnwuhWiCRujAOe5xholT6IvUtObiirQsCgYAMYwJcW9QGhSwdBQA6dKQm\n"                           \
    "Pdh8aqlCLbBHTt0/OO3cmCogPjmLImYaAD1WNA0kp43Khw0IHYI+G4paK3vcKavY\n"                           \
    "ONZKvby99EwHhO/CQzife0M+yKkh28iVVL5C+UEflJs0kDniHCziK2e0DcZGR9ch\n"                           \
    "wy6zQfD8KBSFhoWuD4UYXA==\n"                                                                   \
    "-----END PRIVATE KEY-----\n"

#define SAML_RSA_CERT                                                                              \
    "MIIDETCCAfmgAwIBAgIUcDxt8lS9SCd5JfMS7PtK3b34A2owDQYJKoZIhvcNAQELBQAwFzEVMBMGA1UEAwwMc2FtbC1p" \
    "ZHAtcnNhMCAXDTI2MTEyOTIxMzIwNloYDzIxMjYxMTA1MjEzMjA2WjAXMRUwEwYDVQQDDAxzYW1sLWlkcC1yc2EwggEi" \
    "MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCZahE+qS+wk13D1XMf1hSXJxojNcDeITWkouOTZCqh+B3yGEmTPXru" \
    "t/YdVFuxZMAXcfAMApwrL/A3q1VF0nMWLFIqukmam9GeOjmOO0pWfaoIwBZ67EoZ0ZXMDjSHRkCjQxZu08DFEo46KUOZ" \
    "X8LxJll8cDZb37rXwC6Gc1b31z19DKvANiWWudxKf+nn0lh0dNdZbYAWXv2xiW5s5DShq904YHikpgdYg+NbaxwD7CJr" \
    "8XOZnbNV+G9ogHXacpb04DJmolBk8VHhOEmNYOMChGXzjlp5Lg4ISdRS6yM928siSPj7/i2t3kNvmOSNYWl9R3Rk7t5Q" \
    "/1CpzlcPTqLHAgMBAAGjUzBRMB0GA1UdDgQWBBRwCFlUhF06W7Tm7SNq9rftbLQBWTAfBgNVHSMEGDAWgBRwCFlUhF06" \
    "W7Tm7SNq9rftbLQBWTAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQAISl/x9IXEy8FiU1z8DfzPBttv" \
    "sjE6qrOXcmoplYgDSShQdFkT+w3GlOveEZtNiJCrVM3oEWL6WLIN+tz7DNbBqq65tIKyIQujzDxP/h+0UCUPZY9LRsLu" \
    "cAoTCkFBGroqB+5RwrfzBXDVDD+4L+df48c9lT09mwzd2G+wfc/7JJSR65XswTjJAYG5/HGW7206DcDMVUV9JxPWCUHW" \
    "U5hXwIG4Dv7W1OQz1mlvqaHSW2zgah96l2CnBBqbTGN4kWbn4fBW339aKa9/5wbEsJcq6V3lIZjATlYSxgxwXI50VDy6" \
    "7HrTHTMu0cdxEIzBn5sUPWN2qv7GDStTqqAxz+0j"

#define SAML_EC_KEY                                                                                \
    "-----BEGIN PRIVATE KEY-----\n"                                                                \
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgHpD4hZOlDIDrYnc2\n"                           \
    "poDXOD9o99TPqvEBsfNFR4CcGu6hRANCAAQaWRuwlDFEZIOGlUXihJDosEBPXrXr\n"                           \
    "OleZXCBkGNkANllX5cNIlSLwTOELiH9xjU+itvcztUqNux+Q6xjPTgCm\n"                                   \
    "-----END PRIVATE KEY-----\n"

#define SAML_EC_CERT                                                                               \
    "MIIBgjCCASmgAwIBAgIUB6OEMJ0x4ZmNE4zviof3Jy5u/WswCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLc2FtbC1pZHAt" \
    "ZWMwIBcNMjYxMTI5MjEzMjA2WhgPMjEyNjExMDUyMTMyMDZaMBYxFDASBgNVBAMMC3NhbWwtaWRwLWVjMFkwEwYHKoZI" \
    "zj0CAQYIKoZIzj0DAQcDQgAEGlkbsJQxRGSDhpVF4oSQ6LBAT1616zpXmVwgZBjZADZZV+XDSJUi8EzhC4h/cY1Porb3" \
    "M7VKjbsfkOsYz04ApqNTMFEwHQYDVR0OBBYEFMNKg0X8uaYAVgjCdxcM8GxksU+9MB8GA1UdIwQYMBaAFMNKg0X8uaYA" \
    "VgjCdxcM8GxksU+9MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgHriC1IgmvnSOwjM1Zhg4tmYlqB6j" \
    "Oq9p8dnOgDTMLwMCIGQRFx108arIGvffP/hmPyitrojTxKXZPoKevWvtoqtl"

#define SAML_EVIL_KEY                                                                              \
    "-----BEGIN PRIVATE KEY-----\n"                                                                \
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC/WDeskZfNK56p\n"                           \
    "FUNuIOOf8ZHzV86fatnnzQJJvcIq/W9cR3LMUzoxmpZw89u2N6zXTLyTC9uf+Lwt\n"                           \
    "ofUU5erokfCtCPcgVCmvaR9kCZzseFGdSF/d+xXkeiLEC+YGrkqiB9Mx4+xBqGqv\n"                           \
    "3ogHPUE4hjmijn5/TMcMRxC2I0kcx1a0z6O3jND72OYmvl0SjkBRPTPnCN5LBCiT\n"                           \
    "d6hyVSOU/ag/ZIuuR6R8bMWdomyjJTOav6GbHrsTyopoq2bzWLB2/VgW/Y8PtHz4\n"                           \
    "O8jif781nUEfC0fH43kHUcqqsFDJrF/yZam3b1STi+NiAgW5X2qO0WvhUYyMChWo\n"                           \
    "lUD+mKNRAgMBAAECggEAD8nIFD481pIivg8HWJMFp9j6Auh2n9r5nmxhI95bYwqK\n"                           \
    "Ma934TSn1gJ2/IcelK83h4SpKv/yOrBT2fcQXs2m1P2qbHio0tB8UmExP3hMlrV0\n"                           \
    "fy7C3EaKFKdgRCllgkfHguL0PJxdeOscMc/sjPOzXzuHY2qbCkbL8MR8tEP+lc1s\n"                           \
    "odnPWgCFJhBfCq7X5YYdIENvtI+TZ6O0oR6s8fDHPEgF6ln7VtHeuvvv+aZmHv/T\n"                           \
    "ClBdBRdaGqYxuQjnVHyfYsPuPYV6KORqZ31SEEoupH1rKKQf004afUqlGIDCmhx5\n"                           \
    "zUc/u4ckOK35LDx+o/lzeefwSE2R02kSm0D3Lji8fQKBgQDsdUbALN+HnCEc9DYr\n"                           \
    "ePRTP9RGEIQi5v/jIijMQEgTD5XGq2B1VtOLXntShl9tFBosy419XS9VMdeUIN78\n"                           \
    "bd4Bue37vs3IIRH/OZIVk0zR7Zwqc+PrOkqJigIFcgrEV2WfO1KfpGV0v+XAqToX\n"                           \
    "kndc9sEtUbpMLLJWEdSFQvyBfQKBgQDPKHp91rBXQrJtbaqQPaUddc8jvFlssCO9\n"                           \
    "gOZ8cWgCjHyed25MqLBDGXgp/wyBAWjUrTm1TPXKpdDf7r6GJGKeo9gH3u2nKCR6\n"                           \
    "sh5lsVEwVuTeyaTI9pZQWZ03tFDd09ywhz3p99LRHbt0NJDMug+3HeV2gqhxI3MQ\n"                           \
    "NPR229VRZQKBgC3Oql4gU01aGbAaP0Q8slhOTTklifOY/Ilr3Kt06IGIy2MpYA5b\n"                           \
    "O7AMJaffEC15b3iuFkLrAnhmp3SyyX/taMy80DWsyQC0J2BiLsKvPnqMpWwz9zti\n"                           \
    "l339llanuR5AMBegzmjO2Di91Cx2nCJk5WrFArdc1dJb9lBmM919FJ2hAoGBAMbh\n"                           \
    "/s+neP8dqn3ChrkaZdYlz6toXZYqePWrthyNKCUiSVY+JSf139tbrXDsS03jU4iz\n"                           \
    "ki7MZ0GZ9jG3XTUd44yYkoPj89fCg1tEfEh3dxHoqqx1fP3vN5qGnpjnRafiigL0\n"                           \
    "pG1mnwBjAh/rg4T5sLLGQhGIGT0doo9Rt84Q+fi9AoGAFRsU12qJoKJGHVcRBFsF\n"                           \
    "zgF/pu7V+JsgpvCNZxAQ1AqPlY+EpLnh70JPqrGx607oQk17Ic2TrY6g1qMQtLiP\n"                           \
    "9QYMX0fgks6H0G4LdA6J1dcIuROHA+/kdc1tsJnscE+cpVIWVFiDJ3v6s5NJcNcd\n"                           \
    "wphkMnYUibjfzNdWrCxhF24=\n"                                                                   \
    "-----END PRIVATE KEY-----\n"

#define SAML_EVIL_CERT                                                                             \
    "MIIDETCCAfmgAwIBAgIUPQqHiSBCeEz28RIT6yY3Fd08qvIwDQYJKoZIhvcNAQELBQAwFzEVMBMGA1UEAwwMc2FtbC1p" \
    "ZHAtcnNhMCAXDTI2MTEyOTIxMzIwNloYDzIxMjYxMTA1MjEzMjA2WjAXMRUwEwYDVQQDDAxzYW1sLWlkcC1yc2EwggEi" \
    "MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQC/WDeskZfNK56pFUNuIOOf8ZHzV86fatnnzQJJvcIq/W9cR3LMUzox" \
    "mpZw89u2N6zXTLyTC9uf+LwtofUU5erokfCtCPcgVCmvaR9kCZzseFGdSF/d+xXkeiLEC+YGrkqiB9Mx4+xBqGqv3ogH" \
    "PUE4hjmijn5/TMcMRxC2I0kcx1a0z6O3jND72OYmvl0SjkBRPTPnCN5LBCiTd6hyVSOU/ag/ZIuuR6R8bMWdomyjJTOa" \
    "v6GbHrsTyopoq2bzWLB2/VgW/Y8PtHz4O8jif781nUEfC0fH43kHUcqqsFDJrF/yZam3b1STi+NiAgW5X2qO0WvhUYyM" \
    "ChWolUD+mKNRAgMBAAGjUzBRMB0GA1UdDgQWBBRsM7hDGVSt4qpNNHUxGvo/Qc3ZjjAfBgNVHSMEGDAWgBRsM7hDGVSt" \
    "4qpNNHUxGvo/Qc3ZjjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQAy3PqyrG5W0E1pMDCVJmpOPW+x" \
    "VgG14pDcxcD9pBOTRDLb2FxGhe/oW+OtKIITlmr1F+i9gt9Eg59vtDjTH4tY6Oa+hFHWQP8uAzFFgTyKqzHP9apE3bzO" \
    "CtrqCOK7lHiTVEKg6C+d1ignWlcStgKRHamkklM/8tTRb7NE7qlsiN0oZg1eyRzJXDEeZo4ctmEingIrx7TDJAiRqSkE" \
    "aQnRXqqmB0Bv6LMmdlCQXkoYm+ROE1BNUP34htyGUJ82ReH12NWXGgj19iraEnFpA/Wpz3QCvj7TGsO43nGMpNF1jUHP" \
    "KxEHo0sUZMly92Y7a1JeqqvM5+p0j3uEc5PtpDnH"

#endif
