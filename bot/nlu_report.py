"""Summarise ``rasa test nlu --cross-validation`` output into one readable report.

``python -m bot.nlu_report reports/nlu`` reads Rasa's ``intent_report.json`` and
``intent_errors.json`` from that folder, writes ``summary.md`` beside them and
prints it: per-intent precision, recall, F1 and support (weakest first), then the
confusions (which intent was mistaken for which, how often, with examples).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

AGGREGATE_ROWS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def intent_rows(report: dict[str, Any]) -> list[tuple[str, float, float, float, int]]:
    rows = [
        (
            intent,
            float(scores["precision"]),
            float(scores["recall"]),
            float(scores["f1-score"]),
            int(scores["support"]),
        )
        for intent, scores in report.items()
        if intent not in AGGREGATE_ROWS and isinstance(scores, dict)
    ]
    return sorted(rows, key=lambda row: (row[3], row[0]))


def confusions(errors: list[dict[str, Any]]) -> list[tuple[str, str, int, list[str]]]:
    counts: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for error in errors:
        pair = (str(error["intent"]), str((error.get("intent_prediction") or {}).get("name")))
        counts[pair] += 1
        if len(examples[pair]) < 2:
            examples[pair].append(str(error.get("text", "")))
    return [
        (gold, predicted, n, examples[(gold, predicted)])
        for (gold, predicted), n in counts.most_common()
    ]


def render(report: dict[str, Any], errors: list[dict[str, Any]]) -> str:
    lines = ["# NLU cross-validation report", ""]
    weighted = report.get("weighted avg", {})
    if weighted:
        f1, accuracy = weighted.get("f1-score", 0), report.get("accuracy", 0)
        lines.append(f"Weighted F1 {f1:.3f}, accuracy {accuracy:.3f}.")
        lines.append("")
    lines += ["| intent | precision | recall | F1 | examples |", "|---|---|---|---|---|"]
    lines += [
        f"| {intent} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {support} |"
        for intent, precision, recall, f1, support in intent_rows(report)
    ]
    lines += ["", "## Confusions (true intent → predicted intent)", ""]
    found = confusions(errors)
    if not found:
        lines.append("None.")
    for gold, predicted, count, texts in found:
        sample = "; ".join(f'"{text}"' for text in texts)
        lines.append(f"- {gold} → {predicted}: {count}× (e.g. {sample})")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Summarise an NLU cross-validation run.")
    parser.add_argument("folder", type=Path, help="the --out folder of `rasa test nlu`")
    args = parser.parse_args(argv)
    report_path = args.folder / "intent_report.json"
    if not report_path.exists():
        print(f"error: {report_path} not found: run `make test-nlu` first", file=sys.stderr)
        return 1
    report = json.loads(report_path.read_text())
    errors_path = args.folder / "intent_errors.json"
    errors = json.loads(errors_path.read_text()) if errors_path.exists() else []
    summary = render(report, errors)
    (args.folder / "summary.md").write_text(summary)
    print(summary)
    print(f"Written to {args.folder / 'summary.md'} (Rasa's full reports are beside it).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
