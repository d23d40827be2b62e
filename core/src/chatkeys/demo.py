"""The embedded demo: the whole flow against an in-process reference server.

Two profiles register with generated certificates, sync their chats from
`new` to `sync`, one of them adds a device (its chats turn `wait`), the other
side and the first device re-share the keys (`wait` to `sync`), and a message
encrypted by one profile is decrypted by the other's new device. Every step
reports the status of every chat of every device.

The server comes from the ``chatkeys-server`` distribution; it runs on
loopback on a free port, with a temporary database that is deleted at the end.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatkeys.client import Client
from chatkeys.errors import ChatkeysError, NoProviderError
from chatkeys.identity import Identity
from chatkeys.model import Chat, ChatList
from chatkeys.planner import Action, plan_chats
from chatkeys.providers import Providers
from chatkeys.registration import Registrar

MESSAGE = "Привет, Борис! Ключи чата синхронизированы."


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One chat as a device fetched it."""

    chat_id: str
    title: str
    status: str
    reason: str
    key_id: str


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One step of the demo and the chats of each device after it."""

    number: int
    title: str
    devices: dict[str, list[ChatLine]]
    note: str = ""


@dataclass(slots=True)
class DemoResult:
    """All steps, and whether every chat ended `sync` and the message arrived."""

    algorithm: str
    server: str = ""
    steps: list[DemoStep] = field(default_factory=list)
    message_sent: str = ""
    message_received: str = ""

    @property
    def ok(self) -> bool:
        """Whether the demo reached its goal."""
        if not self.steps or self.message_received != self.message_sent:
            return False
        final = self.steps[-1].devices
        return all(line.status == "sync" for lines in final.values() for line in lines)

    def to_json(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "ok": self.ok,
            "algorithm": self.algorithm,
            "server": self.server,
            "message": {"sent": self.message_sent, "received": self.message_received},
            "steps": [
                {
                    "number": step.number,
                    "title": step.title,
                    "note": step.note,
                    "devices": {
                        device: [
                            {
                                "chatId": line.chat_id,
                                "title": line.title,
                                "status": line.status,
                                "reason": line.reason,
                                "keyId": line.key_id,
                            }
                            for line in lines
                        ]
                        for device, lines in step.devices.items()
                    },
                }
                for step in self.steps
            ],
        }


class _Device:
    def __init__(self, label: str, identity: Identity, client: Client) -> None:
        self.label = label
        self.identity = identity
        self.client = client

    def lines(self) -> list[ChatLine]:
        chat_list = self.client.fetch_chats()
        return _lines(chat_list, self.identity)


def _lines(chat_list: ChatList, identity: Identity) -> list[ChatLine]:
    plans = {
        plan.chat.id: plan for plan in plan_chats(chat_list.chats, identity.certificate)
    }
    lines = []
    for chat in chat_list.chats:
        plan = plans[chat.id]
        lines.append(
            ChatLine(
                chat.id,
                _title(chat),
                chat.status.value,
                plan.reason.value if plan.reason else _next_step(plan.action),
                chat.chat_key.id if chat.chat_key else "",
            )
        )
    return sorted(lines, key=lambda line: line.title)


def _next_step(action: Action) -> str:
    if action in (Action.GENERATE, Action.RESHARE):
        return f"can {action.value}"
    return ""


def _title(chat: Chat) -> str:
    if chat.favorites:
        return "Избранное"
    return chat.profile.name or chat.name or chat.id


ALGORITHM_ALIASES = {
    "ec": "ec-p256",
    "rsa": "rsa-2048",
    "gost": "gost2012-256a",
    "pkcs11": "pkcs11-ec-p256",
}
"""Short algorithm names the demo accepts, and the algorithm each stands for."""


def run_demo(
    algorithm: str = "ec-p256",
    *,
    providers: Providers | None = None,
    on_step: Callable[[DemoStep], None] | None = None,
) -> DemoResult:
    """Run the demo flow; `on_step` is called after every step.

    `algorithm` is an `AlgorithmInfo.name` or a short name from
    `ALGORITHM_ALIASES` (``gost`` for ``gost2012-256a``).
    """
    algorithm = ALGORITHM_ALIASES.get(algorithm, algorithm)
    try:
        from chatkeys_server.config import ServerConfig
        from chatkeys_server.testing import run_server
    except ImportError as error:
        raise NoProviderError(
            "the demo needs the reference server: pip install chatkeys-server"
        ) from error

    providers = providers or Providers.discover()
    result = DemoResult(algorithm)
    devices: dict[str, _Device] = {}

    def step(title: str, note: str = "") -> None:
        snapshot = {label: device.lines() for label, device in devices.items()}
        entry = DemoStep(len(result.steps) + 1, title, snapshot, note)
        result.steps.append(entry)
        if on_step is not None:
            on_step(entry)

    with tempfile.TemporaryDirectory(prefix="chatkeys-demo-") as directory:
        probe = providers.generate_identity(algorithm, "probe")
        profile = providers.default_profile(probe.certificate, probe.provider)
        probe.close()
        config = ServerConfig(
            db_path=Path(directory) / "server.db",
            development=True,
            profile=profile,
            system_algorithm=algorithm,
        )
        with run_server(config, providers) as server:
            result.server = server.base_url

            def enroll(label: str, name: str, phone: str) -> _Device:
                identity = providers.generate_identity(algorithm, name)
                with Registrar(server.base_url, providers) as registrar:
                    request_id = registrar.register_phone(phone, profileName=name)
                    code = server.state.codes.for_request(request_id)
                    if code is None:
                        raise ChatkeysError("the demo server kept no confirmation code")
                    token, _ = registrar.confirm_phone(request_id, code)
                    registrar.register_certificate(token, identity, profile)
                client = Client(server.base_url, identity, providers, profile=profile)
                device = _Device(label, identity, client)
                devices[label] = device
                return device

            try:
                anna = enroll("Анна", "Анна Смирнова", "+7 (999) 000-00-01")
                step("Анна registered: Favorites and the system contact's chat")
                boris = enroll("Борис", "Борис Иванов", "8 (999) 000-00-02")
                step("Борис registered: a chat with Анна, whose number is known")
                anna.client.add_phones(["8 (999) 000-00-02"])
                step("Анна sent Борис's number: the chat is already there")
                anna.client.sync()
                step("Анна synced: she made and exported the keys of her new chats")
                boris.client.sync()
                step(
                    "Борис synced: his Favorites got a key; the chat with Анна was sync"
                )
                boris2 = enroll("Борис (new device)", "Борис Иванов", "79990000002")
                step(
                    "Борис registered a second certificate: his chats wait for it",
                    "the system contact's chat was re-shared by the server itself",
                )
                boris2.client.sync()
                step(
                    "Борис's new device synced: it cannot make keys for chats that "
                    "have them, so it waits"
                )
                anna.client.sync()
                step(
                    "Анна synced again: she re-shared her chat's key to the new device"
                )
                boris.client.sync()
                step("Борис's first device re-shared the Favorites key")
                chat_with_boris = _chat_titled(
                    anna.client.fetch_chats(), "Борис Иванов"
                )
                chat_with_anna = _chat_titled(
                    boris2.client.fetch_chats(), "Анна Смирнова"
                )
                ciphertext = anna.client.chat_cipher(chat_with_boris).encrypt(
                    MESSAGE.encode()
                )
                plaintext = boris2.client.chat_cipher(chat_with_anna).decrypt(
                    ciphertext
                )
                result.message_sent = MESSAGE
                result.message_received = plaintext.decode("utf-8", errors="replace")
                step(
                    "Анна encrypted a message; Борис's new device decrypted it",
                    f"{len(ciphertext)} bytes on the wire: {result.message_received}",
                )
            finally:
                for device in devices.values():
                    device.client.close()
                    device.identity.close()
    return result


def _chat_titled(chat_list: ChatList, name: str) -> Chat:
    for chat in chat_list.chats:
        if chat.profile.name == name and not chat.favorites:
            return chat
    raise ChatkeysError(f"the demo found no chat with {name}")
