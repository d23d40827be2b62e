"""The ``chatkeys-server`` command."""

from __future__ import annotations

import logging
import sqlite3
import sys
from pathlib import Path

import click
import uvicorn

from chatkeys.errors import ChatkeysError
from chatkeys_server.app import create_app
from chatkeys_server.config import PROFILES, ServerConfig


@click.group()
def main() -> None:
    """Reference server of the Komandor chats and chat-keys API."""


@main.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="SQLite database file, created when missing.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port to listen on.",
)
@click.option(
    "--profile",
    type=click.Choice(PROFILES),
    default=PROFILES[0],
    show_default=True,
    help="Wire profile for GOST signatures and keys. RSA and EC always use cms.",
)
@click.option(
    "--development",
    is_flag=True,
    help="Write confirmation codes to the log instead of sending them.",
)
@click.option(
    "--system-algorithm",
    default="ec-p256",
    show_default=True,
    help="Algorithm of the system contact's identity, generated on every start.",
)
@click.option(
    "--system-identity",
    default=None,
    help="Load the system contact's identity from this file or pkcs11: URI instead.",
)
@click.option(
    "--token-lifetime",
    default=3600,
    show_default=True,
    type=click.IntRange(min=1),
    help="Lifetime of session tokens, in seconds.",
)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    help="Level of the log written to standard error.",
)
def serve(
    db_path: Path,
    host: str,
    port: int,
    profile: str,
    development: bool,
    system_algorithm: str,
    system_identity: str | None,
    token_lifetime: int,
    log_level: str,
) -> None:
    """Run the server until interrupted."""
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = ServerConfig(
        db_path=db_path,
        profile=profile,
        development=development,
        system_algorithm=system_algorithm,
        system_identity=system_identity,
        token_lifetime=token_lifetime,
    )
    try:
        app = create_app(config)
    except (ChatkeysError, sqlite3.Error, OSError) as error:
        # Startup failures are the operator's to fix: one line, no traceback.
        click.echo(
            f"error: cannot start the server (database {db_path}): {error}", err=True
        )
        sys.exit(3)
    uvicorn.run(app, host=host, port=port, log_config=None)
