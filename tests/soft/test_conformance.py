"""The provider conformance suite, run on chatkeys-soft through its entry point."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chatkeys.certificates import Certificate
from chatkeys.identity import Identity
from chatkeys.testing.conformance import (
    FOREIGN_ED25519_CERTIFICATE,
    ProviderConformance,
)
from chatkeys_soft.identity import SoftIdentity

from .certificates import self_signed_certificate


class TestSoftConformance(ProviderConformance):
    provider_entry_point = "soft"
    algorithms = ("rsa-2048", "ec-p256", "ec-p384", "ec-p521")

    @pytest.fixture(scope="class")
    @classmethod
    def foreign_certificates(cls) -> Sequence[Certificate]:
        # EC keys on curves the provider does not handle share the EC key OID.
        return (
            FOREIGN_ED25519_CERTIFICATE,
            self_signed_certificate(ec.generate_private_key(ec.SECP256K1())),
            self_signed_certificate(ec.generate_private_key(ec.BrainpoolP256R1())),
        )

    def secret_markers(self, identity: Identity) -> Sequence[str]:
        assert isinstance(identity, SoftIdentity)
        key = identity.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            numbers = key.private_numbers()
            secrets = [numbers.d, numbers.p, numbers.q]
        else:
            secrets = [key.private_numbers().private_value]
        return [form for number in secrets for form in (str(number), f"{number:x}")]
