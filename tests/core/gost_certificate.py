"""A GOST R 34.10-2012 256-bit certificate: TC26 set A, no digest parameter.

Made with OpenSSL 3.0 and Debian's GOST engine:
``openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt paramset:TCA``
then ``openssl req -engine gost -x509 -new -md_gost12_256 -subj /CN=gost-test``.
"""

import base64

GOST_256_CERTIFICATE_DER = base64.b64decode(
    "MIIBfzCCASqgAwIBAgIUWvWapUiTY7ZQpgzG/UXxaHBXpTgwDAYIKoUDBwEBAwIFADAUMRIwEAYD"
    "VQQDDAlnb3N0LXRlc3QwHhcNMjYxMjA0MTU0MTE1WhcNMzYxMjAxMTU0MTE1WjAUMRIwEAYDVQQD"
    "DAlnb3N0LXRlc3QwXjAXBggqhQMHAQEBATALBgkqhQMHAQIBAQEDQwAEQBtLq2xxCn+MdvvcgRuJ"
    "FHzJGAIGZUbO7mxSM0r5EjheX3eU1X6RtdSJR9V9yRpr4eyH2x8zvezrjcOkaAin+RyjUzBRMB0G"
    "A1UdDgQWBBQYTm2jW00Agpf7Y7hF3MPb3WmNCzAfBgNVHSMEGDAWgBQYTm2jW00Agpf7Y7hF3MPb"
    "3WmNCzAPBgNVHRMBAf8EBTADAQH/MAwGCCqFAwcBAQMCBQADQQANdZWIQF75WM7tVO8Ma1RCcK4g"
    "84k7+EvKDs2ZUOXZ5D44njNOVkLZO0wy3jz9yUFY/EDttLXMbZxEKd1TMPie"
)
