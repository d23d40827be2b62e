"""The `chatkeys` command line.

Exit codes: 0 when everything is done, and 1 when some chat could not be
brought to `sync` (the reasons are printed). 2 is a usage error, 3 any other
error (its message states what failed and how to fix it), and 130 an
interruption.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from chatkeys import __version__
from chatkeys.api import HttpSettings
from chatkeys.client import Client
from chatkeys.demo import DemoStep, run_demo
from chatkeys.errors import ChatkeysError
from chatkeys.identity import (
    ChainedSecrets,
    EnvironmentSecrets,
    PromptSecrets,
    SecretSource,
)
from chatkeys.planner import plan_chats
from chatkeys.providers import Providers
from chatkeys.registration import Registrar
from chatkeys.report import SyncReport
from chatkeys.store import Store
from chatkeys.tokens import TokenCache

EXIT_NOT_SYNCED = 1
EXIT_ERROR = 3
EXIT_INTERRUPTED = 130

console = Console()
errors = Console(stderr=True)


def _fail(message: str) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(EXIT_ERROR)


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except ChatkeysError as error:
        _fail(str(error))


def _option(name: str) -> Any:
    context = click.get_current_context(silent=True)
    options = context.find_root().obj if context is not None else None
    return options.get(name) if options else None


def _allow_plain_http() -> bool:
    return bool(_option("allow_plain_http"))


def _settings() -> HttpSettings:
    settings = _option("settings")
    return settings if isinstance(settings, HttpSettings) else HttpSettings()


def _secrets() -> SecretSource:
    if sys.stdin.isatty():
        return ChainedSecrets(EnvironmentSecrets(), PromptSecrets())
    return EnvironmentSecrets()


server_option = click.option(
    "--server",
    envvar="CHATKEYS_SERVER",
    required=True,
    help="Base URL of the server, e.g. https://api.komandor.app (env CHATKEYS_SERVER).",
)
identity_option = click.option(
    "--identity",
    envvar="CHATKEYS_IDENTITY",
    required=True,
    help="Private key and certificate: a PEM or PKCS#12 file, or a pkcs11: URI "
    "(env CHATKEYS_IDENTITY). Passphrase from CHATKEYS_PASSPHRASE, PIN from "
    "CHATKEYS_PIN, or a prompt.",
)
profile_option = click.option(
    "--profile",
    type=click.Choice(["komandor", "cms"]),
    default=None,
    help="Wire profile of key copies and signatures; default: the provider's "
    "default for the identity's algorithm (komandor for GOST, cms otherwise).",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for machines."
)


@click.group()
@click.version_option(__version__, prog_name="chatkeys")
@click.option(
    "-v", "--verbose", count=True, help="Log more (-v info, -vv debug) to stderr."
)
@click.option(
    "--allow-plain-http",
    is_flag=True,
    envvar="CHATKEYS_ALLOW_PLAIN_HTTP",
    help="Allow http:// URLs for hosts other than loopback; the login token "
    "then travels in clear (env CHATKEYS_ALLOW_PLAIN_HTTP=1).",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for the server's response to one request.",
)
@click.option(
    "--retries",
    default=3,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Retries of idempotent requests (fetching chats, login) after a failure.",
)
@click.pass_context
def cli(
    context: click.Context,
    verbose: int,
    allow_plain_http: bool,
    timeout: float,
    retries: int,
) -> None:
    """Keep the chat keys of a Komandor account in sync."""
    context.obj = {
        "allow_plain_http": allow_plain_http,
        "settings": HttpSettings(
            connect_timeout=min(timeout, 10.0),
            read_timeout=timeout,
            write_timeout=timeout,
            retries=retries,
        ),
    }
    # Warnings (retries, rejected copies, unreadable responses) reach stderr
    # by default; -v and -vv add the library's info and debug lines.
    logging.basicConfig(
        level={0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG),
        format="%(levelname)s %(name)s: %(message)s"
        if verbose
        else "warning: %(message)s",
    )


def main() -> None:
    """Run the command line; exit with 130 when interrupted."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        errors.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)


@cli.command()
@json_option
def providers(as_json: bool) -> None:
    """List installed providers, their algorithms, and whether they work here."""
    found = Providers.discover()
    if as_json:
        data = [
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "available": info.available,
                "reason": info.reason,
                "algorithms": [
                    {"name": a.name, "oid": a.oid, "profiles": list(a.profiles)}
                    for a in info.algorithms
                ],
            }
            for info in found.infos
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table(
        "provider", "distribution", "version", "status", "algorithms (profiles)"
    )
    for info in found.infos:
        status = (
            "[green]available[/]"
            if info.available
            else f"[red]unavailable[/]: {info.reason}"
        )
        algorithms = "\n".join(
            f"{a.name} ({', '.join(a.profiles)})" for a in info.algorithms
        )
        table.add_row(
            info.name, info.distribution, info.version, status, algorithms or "-"
        )
    console.print(table)
    if not found.infos:
        errors.print("no provider is installed: pip install chatkeys-soft (RSA/EC)")


def _client(
    server: str, identity_reference: str, profile: str | None
) -> tuple[Client, Providers]:
    found = Providers.discover()
    identity = found.load_identity(identity_reference, _secrets())
    client = Client(
        server,
        identity,
        found,
        profile=profile,
        settings=_settings(),
        token_cache=TokenCache(),
        allow_plain_http=_allow_plain_http(),
    )
    return client, found


@cli.command()
@server_option
@identity_option
@profile_option
def login(server: str, identity: str, profile: str | None) -> None:
    """Log in and cache the token."""
    with _reported():
        client, _ = _client(server, identity, profile)
        with client:
            token = client.login(force=True)
    console.print(f"logged in as profile {token.pid}, certificate {token.cid}")


@cli.command()
@server_option
@identity_option
@profile_option
@click.option(
    "--phone",
    default=None,
    help="Phone number to register, e.g. +7 926 123-45-67 (not with --request-id).",
)
@click.option(
    "--request-id",
    default=None,
    help="Confirm this earlier request instead of asking for a new code (use "
    "with --code in scripts).",
)
@click.option(
    "--code",
    default=None,
    help="Confirmation code of --request-id; prompted for when omitted.",
)
@click.option("--name", default="", help="Profile name to register.")
def register(
    server: str,
    identity: str,
    profile: str | None,
    phone: str | None,
    request_id: str | None,
    code: str | None,
    name: str,
) -> None:
    """Register a phone number and this identity's certificate.

    With --phone a code is requested and then prompted for. Scripts run it
    twice: first with --phone (without a terminal it prints the request id
    and stops), then with --request-id and --code.
    """
    if (phone is None) == (request_id is None):
        raise click.UsageError(
            "pass --phone to request a code, or --request-id (with --code) to "
            "confirm an earlier request; the request already names its phone"
        )
    if code is not None and request_id is None:
        raise click.UsageError(
            "--code confirms an earlier request: pass it with --request-id"
        )
    if request_id is not None and code is None and not sys.stdin.isatty():
        raise click.UsageError("--code is required when there is no terminal")
    with _reported():
        found = Providers.discover()
        loaded = found.load_identity(identity, _secrets())
        with Registrar(
            server, found, settings=_settings(), allow_plain_http=_allow_plain_http()
        ) as registrar:
            if phone is not None:
                request_id = registrar.register_phone(
                    phone, **({"profileName": name} if name else {})
                )
                console.print(f"confirmation code requested: request id {request_id}")
                if not sys.stdin.isatty():
                    console.print(
                        "run again with --request-id and --code to confirm it"
                    )
                    return
            assert request_id is not None  # set by --request-id or the request above
            if code is None:
                code = click.prompt("Confirmation code")
            token, _ = registrar.confirm_phone(request_id, code)
            registration = registrar.register_certificate(token, loaded, profile)
    console.print(
        f"registered certificate {registration.cid} for profile {registration.pid}"
    )


@cli.command()
@server_option
@identity_option
@profile_option
@click.option(
    "--store",
    "store_path",
    envvar="CHATKEYS_STORE",
    default=None,
    help="SQLite store file to update (env CHATKEYS_STORE).",
)
@click.option(
    "--phone",
    "phones",
    multiple=True,
    help="Send this phone number first (repeatable).",
)
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Key copies per chatsKeys request.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(0, 256),
    help="Processes that export and sign key copies; 0 means one per CPU core.",
)
@json_option
def sync(
    server: str,
    identity: str,
    profile: str | None,
    store_path: str | None,
    phones: tuple[str, ...],
    batch_size: int,
    workers: int,
    as_json: bool,
) -> None:
    """Bring every chat of the account to sync, as far as this certificate can."""
    with _reported():
        client, _ = _client(server, identity, profile)
        store = Store(store_path) if store_path else None
        try:
            with client, _progress(enabled=not as_json) as progress:
                report = client.sync(
                    phones,
                    store=store,
                    progress=progress,
                    batch_size=batch_size,
                    workers=workers or os.cpu_count() or 1,
                )
        finally:
            if store is not None:
                store.close()
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        sys.exit(EXIT_NOT_SYNCED)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=errors,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = {"crypto": "export and sign", "submit": "register copies"}.get(
                    stage, stage
                )
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _print_report(report: SyncReport) -> None:
    summary = Table("status", "chats")
    for status, count in sorted(report.status_counts().items()):
        summary.add_row(status, str(count))
    if report.problems:
        summary.add_row("skipped (malformed)", str(len(report.problems)))
    console.print(summary)
    console.print(
        f"key copies: {report.copies_sent} sent, "
        f"{report.copies_registered} registered, "
        f"{report.copies_rejected} rejected, {report.copies_unknown} with unknown "
        f"outcome, in {report.rounds} round(s)"
    )
    if report.reason_counts():
        reasons = Table("reason", "chats")
        for reason, count in report.reason_counts().most_common():
            reasons.add_row(reason, str(count))
        console.print(reasons)
        details = Table("chat", "status", "reason", "detail")
        for outcome in report.outcomes.values():
            if not outcome.synced:
                details.add_row(
                    outcome.chat_id,
                    outcome.status.value,
                    outcome.reason,
                    outcome.detail,
                )
                for pending in outcome.pending:
                    details.add_row(
                        "", "", f"cid {pending.cid}: {pending.reason}", pending.message
                    )
        console.print(details)
    for problem in report.problems:
        errors.print(f"skipped malformed {problem}", highlight=False)
    for error in report.errors:
        errors.print(f"error: {error}", highlight=False)
    for warning in report.warnings:
        errors.print(f"warning: {warning}", highlight=False)
    if report.ok:
        console.print("[green]every chat is sync[/]")


@cli.command()
@server_option
@identity_option
@profile_option
@json_option
def chats(server: str, identity: str, profile: str | None, as_json: bool) -> None:
    """List the chats with their status and, when not sync, the reason."""
    with _reported():
        client, _ = _client(server, identity, profile)
        with client:
            chat_list = client.fetch_chats()
        plans = plan_chats(chat_list.chats, client.identity.certificate)
    rows = [
        {
            "id": plan.chat.id,
            "title": "Избранное"
            if plan.chat.favorites
            else plan.chat.profile.name or plan.chat.name or plan.chat.profile.phone,
            "status": plan.chat.status.value,
            "action": plan.action.value,
            "reason": plan.reason.value if plan.reason else "",
            "keyId": plan.chat.chat_key.id if plan.chat.chat_key else "",
        }
        for plan in plans
    ]
    if as_json:
        click.echo(
            json.dumps(
                {"chats": rows, "problems": [str(p) for p in chat_list.problems]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table("chat", "with", "status", "next step", "reason", "key id")
    for row in rows:
        table.add_row(
            row["id"],
            row["title"],
            row["status"],
            row["action"],
            row["reason"],
            row["keyId"],
        )
    console.print(table)
    for problem in chat_list.problems:
        errors.print(f"skipped malformed {problem}", highlight=False)


@cli.command("add-phones")
@server_option
@identity_option
@profile_option
@click.argument("phones", nargs=-1, required=True)
def add_phones(
    server: str, identity: str, profile: str | None, phones: tuple[str, ...]
) -> None:
    """Send phone numbers; registered ones get chats (run sync next)."""
    with _reported():
        client, _ = _client(server, identity, profile)
        with client:
            chat_list = client.add_phones(phones)
    console.print(
        f"{len(chat_list.chats)} chat(s) for {len(phones)} number(s); "
        "unknown numbers are ignored"
    )
    for chat in chat_list.chats:
        console.print(
            f"  {chat.id}  {chat.profile.name}  {chat.profile.phone}  "
            f"{chat.status.value}"
        )


@cli.command()
@click.option(
    "--algorithm",
    default="ec-p256",
    show_default=True,
    help="Key algorithm of the demo profiles (ec, rsa, gost, pkcs11, or a "
    "name that `chatkeys providers` lists).",
)
@json_option
def demo(algorithm: str, as_json: bool) -> None:
    """Run the whole flow against an embedded server and print each step."""

    def show(step: DemoStep) -> None:
        if as_json:
            return
        console.rule(f"[bold]{step.number}. {step.title}")
        if step.note:
            console.print(step.note)
        table = Table("device", "chat", "status", "reason", "key id (first 8)")
        for device, lines in step.devices.items():
            for line in lines:
                color = {"sync": "green", "wait": "yellow", "new": "cyan"}.get(
                    line.status, "white"
                )
                table.add_row(
                    device,
                    line.title,
                    f"[{color}]{line.status}[/]",
                    line.reason,
                    line.key_id[:8],
                )
        console.print(table)

    with _reported():
        result = run_demo(algorithm, on_step=show)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    elif result.ok:
        console.print(
            "[bold green]demo finished: every chat is sync and the message arrived[/]"
        )
    else:
        errors.print(
            "[bold red]demo failed: a chat is not sync or the message did not arrive[/]"
        )
    if not result.ok:
        sys.exit(EXIT_NOT_SYNCED)
