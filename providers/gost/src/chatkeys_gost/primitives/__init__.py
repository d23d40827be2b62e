"""Symmetric GOST primitives in pure Python: hashes, block ciphers, modes, KDFs.

Streebog (GOST R 34.11-2012), Kuznyechik and Magma (GOST R 34.12-2015),
GOST 28147-89, the modes of GOST R 34.13-2015, the KDFs of RFC 7836 and
RFC 4357, and the key wraps of RFC 4357 and R 1323565.1.017-2018. The curve
arithmetic and the provider hooks live elsewhere in the package.
"""
