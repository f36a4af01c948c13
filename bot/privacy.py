"""``python -m bot.privacy export|erase CUSTOMER``: a customer's data, as JSON or gone.

CUSTOMER is a customer key (``user:<id>``, ``visitor:<session id>``) or a verified user
id. ``export`` prints every record of the customer as JSON on stdout (bot/customer_data.py
lists what that is); ``erase`` shows what it would delete, asks for the customer key to
be typed back (unless ``--yes``), deletes it and prints what it deleted as JSON.

Reads ``REDIS_URL`` like the rest of the product (``make run``'s embedded Redis when unset).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from bot.customer_data import (
    CustomerNotGiven,
    conversation_ids,
    customer_key_of,
    erase_customer,
    export_customer,
    keys_of_customer,
)
from bot.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.privacy",
        description="Export or erase everything stored about one customer.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    customer_help = "a customer key (user:<id>, visitor:<session id>) or a verified user id"
    export = commands.add_parser("export", help="print the customer's data as JSON")
    export.add_argument("customer", metavar="CUSTOMER", help=customer_help)
    erase = commands.add_parser("erase", help="delete the customer's data")
    erase.add_argument("customer", metavar="CUSTOMER", help=customer_help)
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


async def _export(client: redis.Redis, customer_key: str) -> int:
    print(json.dumps(await export_customer(client, customer_key), indent=2, ensure_ascii=False))
    return 0


async def _erase(client: redis.Redis, customer_key: str, confirmed: bool) -> int:
    if not confirmed:
        sessions = await conversation_ids(client, customer_key)
        keys = await keys_of_customer(client, customer_key)
        print(
            f"{customer_key}: {len(sessions)} conversation(s), {len(keys)} key(s), plus their "
            "entries in the shared queues, indexes and request streams.",
            file=sys.stderr,
        )
        if not _typed_back(customer_key):
            print("not confirmed; nothing was erased", file=sys.stderr)
            return 1
    report = await erase_customer(client, customer_key)
    print(json.dumps(report.as_json(), indent=2))
    return 0


def _typed_back(customer_key: str) -> bool:
    """Whether the operator typed the customer key back (never true without a terminal
    answer: a script must say ``--yes``)."""
    print(f"Type {customer_key} to erase all of it: ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip() == customer_key


async def _run(args: argparse.Namespace, customer_key: str) -> int:
    client = redis.Redis.from_url(Settings.from_environment().redis_url)
    try:
        if args.command == "export":
            return await _export(client, customer_key)
        return await _erase(client, customer_key, confirmed=args.yes)
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    args: Any = _parser().parse_args(argv)
    try:
        customer_key = customer_key_of(args.customer)
        return asyncio.run(_run(args, customer_key))
    except CustomerNotGiven as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (RedisError, OSError) as error:
        print(f"error: cannot reach Redis ({error})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ncancelled; nothing was erased", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
