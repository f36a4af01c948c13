"""``python -m tests.conversations.run`` (``make eval``): hold every conversation of the
test set against the real stack and print the per-step score table.

Starts Redis (embedded), the action server, a gateway and Rasa on free ports, like the
end-to-end tests do, runs the conversations a few at a time, each with a fresh visitor,
then prints the table and the failing checks and writes them to ``reports/eval.md``.
The exit code is 0 (it is a measurement) unless ``--strict`` is given and a target is
missed. ``--gateway/--rasa/--token`` use a stack that is already running instead.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import yaml

from tests.conversations.client import run_conversation
from tests.conversations.model import (
    CONVERSATIONS_DIR,
    Conversation,
    ConversationSetError,
    load_conversation_set,
)
from tests.conversations.observation import ConversationObservation
from tests.conversations.report import render, tally
from tests.conversations.scoring import (
    Authority,
    CheckResult,
    Violation,
    find_violations,
    score_conversation,
)
from tests.e2e.visitor import RasaApi

ROOT = Path(__file__).resolve().parents[2]
REPORT_PATH = ROOT / "reports" / "eval.md"
PHRASEBOOK_PATH = ROOT / "actions" / "phrasebook.yml"


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--concurrency", type=int, default=4, help="conversations at a time")
    parser.add_argument("--only", default="", help="run conversations whose id or file "
                        "contains this text")  # fmt: skip
    parser.add_argument("--report", type=Path, default=REPORT_PATH, help="Markdown report")
    parser.add_argument("--conversations", type=Path, default=CONVERSATIONS_DIR)
    parser.add_argument("--gateway", default="", help="URL of a running gateway")
    parser.add_argument("--rasa", default="", help="URL of the running Rasa server")
    parser.add_argument("--token", default="", help="its API token")
    parser.add_argument("--workers", type=int, default=2, help="Rasa workers to start")
    return parser.parse_args(argv)


@contextmanager
def running_stack(workers: int) -> Iterator[tuple[str, str, str]]:
    """A fresh stack on free ports: yields (gateway URL, Rasa URL, API token)."""
    from bot.embedded_redis import free_port
    from bot.gateway.settings import ONE_ADDRESS_LOAD
    from bot.stack import Stack, StackConfig
    from tests.stack_environment import environment, write_business_file_without_hours

    state = Path(tempfile.mkdtemp(prefix="eval-stack-"))
    business = write_business_file_without_hours(state / "business.yml")
    settings = {
        "BUSINESS_FILE": str(business),
        # Conversations are scripted and fast; the product's 12 messages / 20 s is for people.
        "GATEWAY_RATE_LIMIT": "100/10",
        # Handoffs go to the demo agents, who exist only in demo mode (bot/agents/demo.py).
        "DEMO_MODE": "1",
        **ONE_ADDRESS_LOAD,  # every scripted visitor comes from 127.0.0.1
    }
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        redis_url=None,
        embedded_redis_port=free_port(),
        state_dir=state,
        api_token="eval-" + secrets.token_hex(8),
        gateway_ports=(free_port(),),
        rasa_workers=workers,
    )
    stack = Stack(config, report=lambda line: print(line, file=sys.stderr))
    try:
        with environment(settings):
            stack.start()
            try:
                yield config.gateway_urls[0], config.rasa_url, config.api_token
            finally:
                stack.stop()
    finally:
        shutil.rmtree(state, ignore_errors=True)


async def run_all(
    conversations: list[Conversation], gateway: str, rasa: RasaApi, concurrency: int
) -> list[ConversationObservation]:
    """Every conversation, ``concurrency`` at a time, in the order given."""
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(conversation: Conversation) -> ConversationObservation:
        nonlocal done
        async with gate:
            seen = await run_conversation(conversation, gateway, rasa)
        done += 1
        print(f"\r  {done}/{len(conversations)} conversations", end="", file=sys.stderr)
        return seen

    seen = await asyncio.gather(*(one(c) for c in conversations))
    print(file=sys.stderr)
    return list(seen)


def score(
    conversations: list[Conversation], seen: list[ConversationObservation]
) -> tuple[list[CheckResult], list[Violation]]:
    from bot.business import load_business_rules

    rules = load_business_rules(ROOT / "business.yml")
    authority = Authority(rules.max_refund, rules.max_discount_percent)
    templates = yaml.safe_load(PHRASEBOOK_PATH.read_text(encoding="utf-8")) or {}
    results: list[CheckResult] = []
    violations: list[Violation] = []
    for conversation, observed in zip(conversations, seen, strict=True):
        results += score_conversation(conversation, observed)
        violations += find_violations(conversation, observed, authority, templates)
    return results, violations


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        conversations = load_conversation_set(arguments.conversations)
    except ConversationSetError as error:
        print(f"The conversation set has a mistake: {error}", file=sys.stderr)
        return 2
    if arguments.only:
        conversations = [
            c for c in conversations if arguments.only in c.id or arguments.only in c.source
        ]
    print(f"Holding {len(conversations)} conversations...", file=sys.stderr)
    started = time.monotonic()
    if arguments.gateway:
        rasa = RasaApi(arguments.rasa, arguments.token)
        seen = asyncio.run(run_all(conversations, arguments.gateway, rasa, arguments.concurrency))
    else:
        with running_stack(arguments.workers) as (gateway, rasa_url, token):
            rasa = RasaApi(rasa_url, token)
            seen = asyncio.run(run_all(conversations, gateway, rasa, arguments.concurrency))
    results, violations = score(conversations, seen)
    scores = tally(results, violations, len(conversations), len({c.shop for c in conversations}))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = f"Measured {stamp} in {time.monotonic() - started:.0f} s (`make eval`)."
    text = render(scores, results, violations, header, {c.id: c.shop for c in conversations})
    print(text)
    arguments.report.parent.mkdir(parents=True, exist_ok=True)
    arguments.report.write_text(text, encoding="utf-8")
    print(f"Report written to {arguments.report}.", file=sys.stderr)
    if arguments.strict and not scores.targets_met:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
