"""chatkeys-pkcs11 provider."""
