"""Self-signed X.509 certificates for generated GOST identities.

The certificate is signed with GOST R 34.10-2012 over Streebog (256 or 512
matching the key) of the DER tbsCertificate, and the signature value is the
standard encoding of RFC 4491 (s followed by r, big-endian). OpenSSL's GOST
engine accepts these certificates (`openssl x509 -engine gost -text`,
`openssl verify`); the tests check both.

Certificates made here are for tests and demos: they carry a random serial
and no CA chain.
"""

from __future__ import annotations

import datetime
import secrets

from asn1crypto import keys, x509

from chatkeys.certificates import Certificate
from chatkeys_gost.keys import OID_SIGNATURE_256, OID_SIGNATURE_512, GostPrivateKey
from chatkeys_gost.primitives.streebog import streebog256, streebog512
from chatkeys_gost.signature import Encoding, encode, sign_digest

__all__ = ["self_signed_certificate"]

VALIDITY = datetime.timedelta(days=3650)
"""How long a generated certificate is valid."""


def self_signed_certificate(
    private_key: GostPrivateKey,
    subject: str,
    now: datetime.datetime | None = None,
) -> Certificate:
    """Issue a certificate for `private_key`'s public key, signed by itself.

    `subject` becomes the common name of both subject and issuer. The
    certificate starts one hour before `now` (the current time by default),
    so clocks that lag a little still accept it.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    curve = private_key.curve
    signature_oid = OID_SIGNATURE_256 if curve.size == 32 else OID_SIGNATURE_512
    name = x509.Name.build({"common_name": subject})
    public_key = private_key.public_key()
    spki = public_key.spki()

    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(63) | 1,
            "signature": {"algorithm": signature_oid},
            "issuer": name,
            "validity": {
                "not_before": x509.Time(
                    {"utc_time": now - datetime.timedelta(hours=1)}
                ),
                "not_after": x509.Time({"utc_time": now + VALIDITY}),
            },
            "subject": name,
            "subject_public_key_info": keys.PublicKeyInfo.load(spki),
            "extensions": [
                {
                    "extn_id": "basic_constraints",
                    "critical": True,
                    "extn_value": {"ca": True},
                },
                {
                    "extn_id": "key_usage",
                    "critical": True,
                    "extn_value": {
                        "digital_signature",
                        "key_encipherment",
                        "key_agreement",
                        "key_cert_sign",
                    },
                },
                {
                    "extn_id": "key_identifier",
                    "critical": False,
                    "extn_value": streebog256(public_key.to_bytes())[:20],
                },
            ],
        }
    )
    tbs_der = tbs.dump()

    digest = streebog256(tbs_der) if curve.size == 32 else streebog512(tbs_der)
    r, s = sign_digest(curve, private_key.scalar, digest)
    certificate = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": signature_oid},
            "signature_value": encode(curve, r, s, Encoding.STANDARD),
        }
    )
    return Certificate.from_der(certificate.dump())
