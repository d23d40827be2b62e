"""chatkeys-gost provider."""
