from __future__ import annotations

import base64

from chatkeys.certificates import Certificate
from chatkeys.model import Chat, Participant, parse_chats
from chatkeys.planner import Action, WaitReason, WithheldReason, plan_chat, plan_chats

from .conftest import ChatFactory, participant_json

KEY = {"id": "k1", "key": base64.b64encode(b"copy").decode()}


def _parse(raw: dict[str, object]) -> Chat:
    chat_list = parse_chats([raw])
    assert chat_list.problems == ()
    return chat_list.chats[0]


class Cast:
    """Me (pid p1: c1, c1b) and a contact (pid p2: c2, c2b)."""

    def __init__(self, pool: list[Certificate]) -> None:
        self.me = participant_json("p1", "c1", pool[0])
        self.my_other = participant_json("p1", "c1b", pool[1])
        self.contact = participant_json("p2", "c2", pool[2])
        self.contact_other = participant_json("p2", "c2b", pool[3])
        self.stranger = participant_json("p9", "c9", pool[4])
        self.current = pool[0]


def _cids(participants: tuple[Participant, ...]) -> list[str]:
    return [p.cid for p in participants]


def test_new_chat_generates_for_every_certificate(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="new",
            certificates=[cast.me, cast.my_other, cast.contact, cast.contact_other],
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.GENERATE
    assert _cids(plan.recipients) == ["c1", "c1b", "c2", "c2b"]


def test_new_chat_without_contact_waits(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(chat_json(status="new", certificates=[cast.me, cast.my_other]))
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.WAIT
    assert plan.reason is WaitReason.NO_CONTACT_CERTIFICATE


def test_favorites_generates_for_own_certificates(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="new", certificates=[cast.me, cast.my_other], chatFavorites=True
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.GENERATE
    assert _cids(plan.recipients) == ["c1", "c1b"]


def test_new_chat_with_key_is_inconsistent(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(status="new", certificates=[cast.me, cast.contact], chat_key=KEY)
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.WAIT
    assert plan.reason is WaitReason.INCONSISTENT


def test_wait_without_key_never_generates(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="wait", certificates=[cast.me, cast.contact], wait_list=[cast.me]
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.WAIT
    assert plan.reason is WaitReason.NO_KEY_FOR_CERTIFICATE
    assert plan.recipients == ()


def test_wait_with_key_reshares_to_wait_list(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="wait",
            certificates=[cast.me, cast.contact, cast.contact_other],
            chat_key=KEY,
            wait_list=[cast.contact_other],
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.RESHARE
    assert _cids(plan.recipients) == ["c2b"]


def test_wait_list_stranger_withheld(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="wait",
            certificates=[cast.me, cast.contact],
            chat_key=KEY,
            wait_list=[cast.stranger, cast.contact],
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.RESHARE
    assert _cids(plan.recipients) == ["c2"]
    assert [w.participant.cid for w in plan.withheld] == ["c9"]
    assert plan.withheld[0].reason is WithheldReason.NOT_A_PARTICIPANT


def test_wait_list_only_strangers_waits(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="wait",
            certificates=[cast.me, cast.contact],
            chat_key=KEY,
            wait_list=[cast.stranger],
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.WAIT
    assert plan.reason is WaitReason.NOTHING_TO_SHARE
    assert len(plan.withheld) == 1


def test_wait_list_entry_with_swapped_certificate_withheld(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    forged = participant_json(
        "p2", "c2", certificate_pool[5]
    )  # listed cid, other certificate
    chat = _parse(
        chat_json(
            status="wait",
            certificates=[cast.me, cast.contact],
            chat_key=KEY,
            wait_list=[forged],
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.WAIT
    assert plan.withheld[0].reason is WithheldReason.NOT_A_PARTICIPANT


def test_wait_with_key_and_empty_wait_list(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(status="wait", certificates=[cast.me, cast.contact], chat_key=KEY)
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.WAIT
    assert plan.reason is WaitReason.NOTHING_TO_SHARE


def test_sync_chat_done(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(status="sync", certificates=[cast.me, cast.contact], chat_key=KEY)
    )
    assert plan_chat(chat, cast.current).action is Action.DONE


def test_sync_without_key_inconsistent(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(chat_json(status="sync", certificates=[cast.me, cast.contact]))
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.WAIT
    assert plan.reason is WaitReason.INCONSISTENT


def test_sync_with_wait_list_reshares(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="sync",
            certificates=[cast.me, cast.contact],
            chat_key=KEY,
            wait_list=[cast.contact],
        )
    )
    assert plan_chat(chat, cast.current).action is Action.RESHARE


def test_current_certificate_not_listed(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    for status in ("new", "wait", "sync"):
        chat = _parse(
            chat_json(
                status=status, certificates=[cast.my_other, cast.contact], chat_key=KEY
            )
        )
        plan = plan_chat(chat, cast.current)
        assert plan.action is Action.WAIT, status
        assert plan.reason is WaitReason.NOT_A_PARTICIPANT, status


def test_duplicate_chat_differing_waits(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    first = _parse(
        chat_json(chat_id="x", status="new", certificates=[cast.me, cast.contact])
    )
    second = _parse(
        chat_json(chat_id="x", status="new", certificates=[cast.me, cast.contact_other])
    )
    plans = plan_chats([first, second], cast.current)
    assert len(plans) == 1
    assert plans[0].action is Action.WAIT
    assert plans[0].reason is WaitReason.DUPLICATE_CHAT


def test_duplicate_chat_identical_planned_once(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    raw = chat_json(chat_id="x", status="new", certificates=[cast.me, cast.contact])
    plans = plan_chats([_parse(raw), _parse(raw)], cast.current)
    assert len(plans) == 1
    assert plans[0].action is Action.GENERATE


def test_duplicate_certificate_entries_exported_once(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(status="new", certificates=[cast.me, cast.contact, cast.contact])
    )
    assert _cids(plan_chat(chat, cast.current).recipients) == ["c1", "c2"]


def test_policy_withholds_certificate(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    chat = _parse(
        chat_json(
            status="wait",
            certificates=[cast.me, cast.contact, cast.contact_other],
            chat_key=KEY,
            wait_list=[cast.contact, cast.contact_other],
        )
    )

    def policy(chat: Chat, participant: Participant) -> str | None:
        return "issuer not trusted" if participant.cid == "c2b" else None

    plan = plan_chat(chat, cast.current, policy)
    assert _cids(plan.recipients) == ["c2"]
    assert plan.withheld[0].reason is WithheldReason.POLICY
    assert plan.withheld[0].detail == "issuer not trusted"


def _certificate_valid_from(year: int = 2020) -> Certificate:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "old")])
    start = datetime.datetime(year, 1, 1, tzinfo=datetime.UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(9)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    return Certificate.from_der(der)


def test_expired_certificates_withheld(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    old = participant_json("p2", "c2old", _certificate_valid_from())
    chat = _parse(
        chat_json(
            status="wait",
            certificates=[cast.me, cast.contact, old],
            chat_key=KEY,
            wait_list=[cast.contact, old],
        )
    )
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.RESHARE
    assert _cids(plan.recipients) == ["c2"]
    assert plan.withheld[0].reason is WithheldReason.CERTIFICATE_NOT_VALID
    assert "expired on 2020-01-31" in plan.withheld[0].detail


def test_own_expired_certificate_waits(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    import datetime

    cast = Cast(certificate_pool)
    chat = _parse(chat_json(status="new", certificates=[cast.me, cast.contact]))
    later = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
    plan = plan_chat(chat, cast.current, now=later)
    assert plan.action is Action.WAIT
    assert plan.reason is WaitReason.CERTIFICATE_NOT_VALID
    assert "register a new certificate" in plan.detail


def test_future_certificates_withheld(
    chat_json: ChatFactory, certificate_pool: list[Certificate]
) -> None:
    cast = Cast(certificate_pool)
    future = participant_json("p2", "c2new", _certificate_valid_from(2090))
    chat = _parse(chat_json(status="new", certificates=[cast.me, future]))
    plan = plan_chat(chat, cast.current)
    assert plan.action is Action.GENERATE
    assert _cids(plan.recipients) == ["c1"]
    assert plan.withheld[0].reason is WithheldReason.CERTIFICATE_NOT_VALID
    assert "not valid before 2090-01-01" in plan.withheld[0].detail
