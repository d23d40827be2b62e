"""The server running in a background thread, for tests and embedded demos."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from chatkeys.providers import Providers
from chatkeys_server.app import create_app
from chatkeys_server.config import ServerConfig
from chatkeys_server.state import ServerState

STARTUP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class RunningServer:
    """A server listening on `base_url`, with in-process access through `state`.

    `state.codes` contains the confirmation codes in development mode.
    """

    base_url: str
    state: ServerState


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextlib.contextmanager
def run_server(
    config: ServerConfig, providers: Providers | None = None
) -> Iterator[RunningServer]:
    """Run uvicorn on 127.0.0.1 at a free port in a background thread.

    Yields once the server accepts connections, and stops it (waiting for
    the thread) when the block ends.
    """
    app = create_app(config, providers)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(
        target=server.run, name=f"chatkeys-server-{port}", daemon=True
    )
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield RunningServer(f"http://127.0.0.1:{port}", app.state.chatkeys)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_SECONDS)


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    started = threading.Event()

    def poll() -> None:
        while thread.is_alive() and not server.started:
            started.wait(0.01)
        started.set()

    poll()
    if not server.started:
        raise RuntimeError(
            "the chatkeys server thread stopped before it accepted connections"
        )
