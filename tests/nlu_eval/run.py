"""``python -m tests.nlu_eval.run`` (``make eval-nlu``): the trained model against the
held-out messages of tests/nlu_eval/messages/, scored as the bot would act on them.

Loads the model in this process (the whole NLU pipeline, our components included),
parses every message once, reads it as the complaint actions do (bot/message_reading.py,
the handoff's reading for a request for a person) and prints complaint detection,
category accuracy and its top confusions, person-request recall and precision, order-id
and amount extraction and parse time. Writes reports/eval-nlu.md. The exit code is 0 (a
measurement) unless ``--strict`` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.business import load_business_rules
from bot.complaints import INTENT_CATEGORIES
from bot.message_reading import categories_beside_person_request, raised_categories
from tests.nlu_eval.heldout import HeldOutError, HeldOutMessage, load_held_out
from tests.nlu_eval.scoring import Reading, Scores, category_right, order_id_right, score

ROOT = Path(__file__).resolve().parents[2]
REPORT_PATH = ROOT / "reports" / "eval-nlu.md"
MODEL_PATH = ROOT / "models" / "complaint-bot.tar.gz"
BUSINESS_PATH = ROOT / "business.yml"
RESTATED_WITH_COMPLAINT = frozenset({"insult"})
"""Intents besides the complaint intents after which the bot goes on with a complaint the
message makes (the boundary line, then the complaint)."""


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--report", type=Path, default=REPORT_PATH)
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--misses", type=int, default=40, help="misreadings listed per kind")
    parser.add_argument("--only", default="*.yml", metavar="GLOB",
                        help="only the message files matching this (default: all)")  # fmt: skip
    return parser.parse_args(argv)


def entity_values(parsed: dict[str, Any], name: str) -> list[str]:
    return [str(e["value"]) for e in parsed.get("entities") or [] if e.get("entity") == name]


def read(parsed: dict[str, Any], known: Sequence[str], parse_ms: float) -> Reading:
    """What the bot does with one parse: the categories it would restate, whether it
    hands over on a request for a person, the details it keeps."""
    intent = str((parsed.get("intent") or {}).get("name") or "")
    found = parsed.get("signals") or {}
    problems = entity_values(parsed, "problem")
    text = str(parsed.get("text") or "")
    if intent == "request_human":
        categories = categories_beside_person_request(found, problems, known)
    elif (
        intent in INTENT_CATEGORIES
        or intent in RESTATED_WITH_COMPLAINT
        or (intent == "inform" and problems)
    ):
        values = {n: entity_values(parsed, n) for n in ("order_id", "problem", "product", "colour")}
        categories = raised_categories(intent, found, values, text, known)
    else:
        categories = []
    return Reading(
        intent=intent,
        categories=tuple(categories),
        person=intent == "request_human" or bool(found.get("person_request")),
        order_ids=tuple(entity_values(parsed, "order_id")),
        amounts=tuple(entity_values(parsed, "amount")),
        parse_ms=parse_ms,
    )


async def read_all(model: Path, messages: Sequence[HeldOutMessage]) -> list[Reading]:
    from rasa.core.agent import Agent  # TensorFlow loads only when run
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)
    agent = Agent.load(str(model))
    known = list(load_business_rules(BUSINESS_PATH).categories)
    await agent.parse_message("hello")  # the first parse builds the graph's caches
    readings = []
    for message in messages:
        started = time.perf_counter()
        parsed = await agent.parse_message(message.text)
        readings.append(read(parsed, known, (time.perf_counter() - started) * 1000))
    return readings


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def render(scores: Scores, pairs: Sequence[tuple[HeldOutMessage, Reading]], header: str,
           misses: int) -> str:  # fmt: skip
    lines = [
        "# make eval-nlu", "", header, "",
        f"{scores.messages} held-out messages, {scores.complaints} of them complaints.", "",
        "| figure | value | target | met |", "|---|---|---|---|",
    ]  # fmt: skip
    for target in scores.targets():
        lines.append(
            f"| {target.name} | {_percent(target.value)} | ≥ {target.minimum:.2f} | "
            f"{'yes' if target.met else '**no**'} |"
        )
    lines += [
        f"| complaint precision / recall | {_percent(scores.complaint_precision)} / "
        f"{_percent(scores.complaint_recall)} | | |",
        f"| multi-problem messages with every problem read | "
        f"{_percent(scores.all_problems_named)} | | |",
        f"| restatements of a complaint nobody made | {scores.wrong_restatements} | | |",
        f"| problems named in complaints that their authors did not mean | "
        f"{scores.unmeant_problems} | | |",
        f"| order numbers read where there was none | {scores.false_order_ids} | | |",
        f"| amounts read (all of a message's) | {_percent(scores.amount_recall)} | | |",
        f"| parse time p50 / p95 | {scores.parse_p50_ms:.1f} / {scores.parse_p95_ms:.1f} ms"
        " | | |",
        "", "## Category accuracy by category", "",
        "| category | right | total | % |", "|---|---|---|---|",
    ]  # fmt: skip
    for category, (right, total) in scores.by_category.items():
        lines.append(f"| {category} | {right} | {total} | {100 * right / total:.0f} |")
    lines += ["", "## Top confusions (meant → read)", ""]
    lines += [f"- {gold} → {read} ({n})" for gold, read, n in scores.confusions]
    wrong_category = [(m, r) for m, r in pairs if m.is_complaint and not category_right(m, r)]
    wrong_person = [(m, r) for m, r in pairs if m.person != r.person]
    with_ids = [(m, r) for m, r in pairs if m.order_id or r.order_ids]
    wrong_id = [(m, r) for m, r in with_ids if not order_id_right(m, r)]
    false_complaints = [(m, r) for m, r in pairs if not m.is_complaint and r.categories]
    for title, found in (
        ("Complaints misread", wrong_category),
        ("Not complaints, restated as one", false_complaints),
        ("Requests for a person missed or imagined", wrong_person),
        ("Order numbers misread", wrong_id),
    ):
        lines += ["", f"## {title} ({len(found)})", ""]
        for message, reading in found[:misses]:
            lines.append(
                f"- `{message.text[:160]}` meant {list(message.categories) or message.kind}"
                f"{' +person' if message.person else ''} id={message.order_id}; read "
                f"{reading.intent} {list(reading.categories)}"
                f"{' +person' if reading.person else ''} ids={list(reading.order_ids)}"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        messages = load_held_out(pattern=arguments.only)
    except HeldOutError as error:
        print(f"The held-out set has a mistake: {error}", file=sys.stderr)
        return 2
    if not messages:
        print(f"No held-out file matches {arguments.only}.", file=sys.stderr)
        return 2
    if not arguments.model.exists():
        print(f"No model at {arguments.model}: run `make model` first.", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    print(f"Reading {len(messages)} held-out messages with {arguments.model.name}...",
          file=sys.stderr)  # fmt: skip
    started = time.monotonic()
    readings = asyncio.run(read_all(arguments.model, messages))
    pairs = list(zip(messages, readings, strict=True))
    scores = score(pairs)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = f"Measured {stamp} in {time.monotonic() - started:.0f} s (`make eval-nlu`)."
    text = render(scores, pairs, header, arguments.misses)
    print(text)
    arguments.report.parent.mkdir(parents=True, exist_ok=True)
    arguments.report.write_text(text, encoding="utf-8")
    print(f"Report written to {arguments.report}.", file=sys.stderr)
    if arguments.strict and not all(t.met for t in scores.targets()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
