"""chatkeys: keeps the chat keys of the Komandor messenger in sync.

The public surface is small: parse chats (`chatkeys.model`), plan what to do
(`chatkeys.planner`), run the sync against a server (`chatkeys.client`), and
the provider contract (`chatkeys.hookspecs`, `chatkeys.plugin`). Byte-level
helpers are private modules.
"""

from __future__ import annotations

import logging

from chatkeys.certificates import Certificate
from chatkeys.chatkey import ChatKey
from chatkeys.identity import Identity
from chatkeys.providers import Providers

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Certificate", "ChatKey", "Identity", "Providers", "__version__"]
