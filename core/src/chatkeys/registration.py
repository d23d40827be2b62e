"""Registering a phone number and a certificate with the server.

The flow: send the phone number (`register_phone`), confirm it with the code
the server sends (`confirm_phone`), then register the identity's certificate
with a proof of possession (`register_certificate`). The first certificate
activates the profile; a later one adds a device.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from chatkeys import api
from chatkeys.errors import InvalidResponseError
from chatkeys.identity import Identity
from chatkeys.phones import normalize_phone
from chatkeys.providers import Providers


@dataclass(frozen=True, slots=True)
class Registration:
    """A registered certificate: profile `pid` and certificate `cid`."""

    pid: str
    cid: str


class Registrar:
    """Unauthenticated registration calls against one server."""

    def __init__(
        self,
        server: str,
        providers: Providers | None = None,
        *,
        settings: api.HttpSettings | None = None,
        transport: httpx.BaseTransport | None = None,
        allow_plain_http: bool = False,
    ) -> None:
        self.server = api.check_server_url(server, allow_plain_http=allow_plain_http)
        self.providers = providers or Providers.discover()
        self.settings = settings or api.HttpSettings()
        self._http = httpx.Client(
            timeout=self.settings.timeout(),
            verify=self.settings.verify,
            transport=transport,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> Registrar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def register_phone(self, phone: str, **profile: Any) -> str:
        """Ask for a confirmation code for `phone`; returns the request id.

        `profile` may carry ``profileName``, ``profileCompany``,
        ``profileTitle`` and ``profileType``.
        """
        data = self._post(
            api.REGISTRY_PHONE, {"phone": normalize_phone(phone), **profile}
        )
        return _string(data, "requestId", api.REGISTRY_PHONE)

    def confirm_phone(self, request_id: str, code: str) -> tuple[str, str]:
        """Confirm the phone; returns the registration token and the profile id."""
        data = self._post(api.CONFIRM_PHONE, {"requestId": request_id, "code": code})
        token = _string(data, "registrationToken", api.CONFIRM_PHONE)
        return token, _string(data, "pid", api.CONFIRM_PHONE)

    def register_certificate(
        self, registration_token: str, identity: Identity, profile: str | None = None
    ) -> Registration:
        """Register `identity`'s certificate, proving possession of its key."""
        profile = profile or self.providers.default_profile(
            identity.certificate, identity.provider
        )
        proof = self.providers.sign(registration_token.encode(), identity, profile)
        data = self._post(
            api.CERTIFICATE_REGISTRATION,
            {
                "certificate": identity.certificate.to_api_field(),
                "sign": base64.b64encode(proof).decode("ascii"),
            },
            token=registration_token,
        )
        where = api.CERTIFICATE_REGISTRATION
        return Registration(_string(data, "pid", where), _string(data, "cid", where))

    def _post(self, path: str, body: dict[str, Any], token: str | None = None) -> Any:
        target = api.url(self.server, path)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._http.post(target, json=body, headers=headers)
        except httpx.TransportError as error:
            raise api.transport_error(error, "POST", target) from error
        return api.read_response(response)


def _string(data: Any, name: str, endpoint: str) -> str:
    value = data.get(name) if isinstance(data, Mapping) else None
    if not isinstance(value, str) or not value:
        raise InvalidResponseError(f"{endpoint} returned no {name}")
    return value
