"""chatkeys-soft: the RSA and EC provider of chatkeys, on pyca/cryptography.

The hooks are in `chatkeys_soft.plugin`, registered under the entry-point
group ``chatkeys.providers`` as ``soft``. Key copies of the ``cms`` profile
are built and opened in `chatkeys_soft.cms`, which PKCS#11 identities reuse
with their own private-key operations. Identities load from PEM and PKCS#12
files (`chatkeys_soft.keyfiles`) or are generated (`chatkeys_soft.identity`).
"""
