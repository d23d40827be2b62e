"""chatkeys-soft provider."""
