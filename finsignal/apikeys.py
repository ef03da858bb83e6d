"""`finsignal apikey create|list|revoke` and `finsignal api` (issue 19)."""

from __future__ import annotations

import argparse

from api.auth import hash_secret, new_secret
from core.errors import StorageError, UsageError
from core.settings import Settings
from finsignal.container import open_app

NAME_MAX = 64


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `api` and `apikey` subcommands."""
    api = sub.add_parser("api", help="serve the Market Data API and the dashboard (uvicorn)")
    api.add_argument("--host", help="address to listen on (default FINSIGNAL_API_HOST, 127.0.0.1)")
    api.add_argument("--port", type=int, help="port (default FINSIGNAL_API_PORT, 8000)")
    api.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")

    keys = sub.add_parser("apikey", help="API keys: create, list, revoke")
    actions = keys.add_subparsers(dest="apikey_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key; it is printed once, alone on the last line")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="may also start backtests")
    actions.add_parser("list", help="names, prefixes, roles and state of every key (never the keys)")
    revoke = actions.add_parser("revoke", help="revoke the key called NAME")
    revoke.add_argument("name")


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    """`finsignal api` (synchronous: uvicorn owns the process and its signals)."""
    from finsignal.webapi import serve

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    return serve(settings, args.host or settings.api_host, args.port or settings.api_port, args.workers)


async def cmd_apikey(args: argparse.Namespace, settings: Settings) -> int:
    async with open_app(settings) as app:
        repo = app.repos.apikeys
        if args.apikey_command == "create":
            name = args.name.strip()
            if not name or len(name) > NAME_MAX:
                raise UsageError(f"NAME must be 1-{NAME_MAX} characters")
            secret = new_secret()
            try:
                key = await repo.add_key(name, secret[:8], hash_secret(secret), args.admin, app.clock.now())
            except StorageError as exc:
                if "already exists" in str(exc):
                    raise UsageError(f"an API key called {name!r} already exists") from None
                raise
            role = "admin" if key.admin else "read"
            print(f"created {role} key {key.name!r} ({key.prefix}...); it is shown only now:")
            print(secret)
            return 0
        if args.apikey_command == "list":
            keys = await repo.list_keys()
            if not keys:
                print("no API keys (create one with: finsignal apikey create NAME)")
            for k in keys:
                state = "active" if k.active else f"revoked {k.revoked_at:%Y-%m-%d %H:%M} UTC"
                role = "admin" if k.admin else "read"
                print(f"{k.name}\t{k.prefix}...\t{role}\tcreated {k.created_at:%Y-%m-%d %H:%M} UTC\t{state}")
            return 0
        if not await repo.revoke_key(args.name, app.clock.now()):
            raise UsageError(f"no active API key called {args.name!r}")
        print(f"revoked {args.name!r}")
        return 0
