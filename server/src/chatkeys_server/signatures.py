"""Signature checks through the installed crypto providers.

The wire profile of a check follows the certificate's key algorithm. It is
the configured profile when a provider lists it for that algorithm
(``komandor`` for GOST by default). Otherwise it is the algorithm's default
profile, which is ``cms`` for RSA and EC.
"""

from __future__ import annotations

import logging

from chatkeys.certificates import Certificate
from chatkeys.errors import NoProviderError, ProviderError
from chatkeys.plugin import PROFILE_CMS
from chatkeys.providers import Providers

logger = logging.getLogger(__name__)


class SignatureChecker:
    """Verifies signatures with `providers` in the profile each algorithm uses."""

    def __init__(self, providers: Providers, profile: str) -> None:
        self.providers = providers
        self.profile = profile

    def profile_for(self, certificate: Certificate) -> str:
        """Return the wire profile for signatures and copies of `certificate`.

        That is the configured profile when a provider lists it for the
        certificate's algorithm. Otherwise it is the first (default) profile a
        provider lists for that algorithm, so a third-party provider's own
        profile works too, and ``cms`` when no provider handles the algorithm.
        """
        fallback = ""
        for info in self.providers.infos:
            if not info.available:
                continue
            for algorithm in info.algorithms:
                if algorithm.oid != certificate.key_algorithm_oid:
                    continue
                if self.profile in algorithm.profiles:
                    return self.profile
                if not fallback and algorithm.profiles:
                    fallback = algorithm.profiles[0]
        return fallback or PROFILE_CMS

    def is_supported(self, certificate: Certificate) -> bool:
        """Return whether an available provider handles `certificate`'s algorithm."""
        return any(
            algorithm.oid == certificate.key_algorithm_oid
            for info in self.providers.infos
            if info.available
            for algorithm in info.algorithms
        )

    def unsupported_reason(self, certificate: Certificate) -> str:
        """Explain why no provider handles `certificate`, with the fix."""
        return self.providers.describe_algorithm_support(certificate)

    def verify(self, data: bytes, signature: bytes, certificate: Certificate) -> bool:
        """Return whether `signature` over `data` verifies with `certificate`.

        A provider failure or a missing provider counts as a failed check and
        is logged with the certificate's fingerprint.
        """
        profile = self.profile_for(certificate)
        try:
            return self.providers.verify(data, signature, certificate, profile)
        except NoProviderError as error:
            logger.warning(
                "cannot verify a signature of certificate %s: %s",
                certificate.short_id,
                error,
            )
        except ProviderError as error:
            logger.warning(
                "signature check with certificate %s failed in the provider: %s",
                certificate.short_id,
                error,
            )
        return False
