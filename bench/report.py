"""Turn ``make bench``'s results into the Markdown table, the target check and the plot.

Everything here reads the results dictionary only (the shape ``bench.run`` writes to
``bench/results.json``), so a report can be rebuilt from a saved file:
``python -m bench.report bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYSTEMS = ("stock_default", "stock_tuned", "ours")
HEADER = (
    "| figure | stock, default | stock, tuned | ours | ours / default | ours / tuned |\n"
    "|---|---:|---:|---:|---:|---:|"
)

Results = dict[str, Any]


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[float | None, float | None, float | None]
    unit: str
    digits: int = 0


def _number(value: float | None, digits: int, unit: str) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def _ratio(ours: float | None, stock: float | None) -> str:
    if ours is None or stock is None or stock == 0:
        return "–"
    return f"{ours / stock:.2f}×"


def _per_system(results: Results, pick: Callable[[Results], float | None]) -> tuple[Any, ...]:
    values = []
    for name in SYSTEMS:
        system = results["systems"].get(name)
        try:
            values.append(pick(system) if system else None)
        except (KeyError, TypeError):
            values.append(None)
    return tuple(values)


def _total_rss(system: Results) -> float:
    return sum(part["peak_rss_mb"] for part in system["rss"].values())


def rows(results: Results) -> list[Row]:
    """The side-by-side figures, in table order."""
    table: list[Row] = []

    def add(
        label: str, pick: Callable[[Results], float | None], unit: str, digits: int = 0
    ) -> None:
        table.append(Row(label, _per_system(results, pick), unit, digits))

    for level in results["config"]["levels"]:
        key = str(level)
        who = "1 visitor" if level == 1 else f"{level} visitors"
        for stat, name in (("p50_ms", "p50"), ("p95_ms", "p95"), ("max_ms", "max")):
            add(f"bot reply {name}, {who}", lambda s, k=key, t=stat: s["levels"][k][t], "ms")
        add(f"messages/s, {who}", lambda s, k=key: s["levels"][k]["messages_per_s"], "", 1)
        add(f"messages lost, {who}", lambda s, k=key: s["levels"][k]["lost"], "")
    add("cold start to healthy", lambda s: s["cold_start_s"], "s", 1)
    parts = sorted({part for s in results["systems"].values() for part in s.get("rss", {})})
    for part in parts:
        add(f"peak RSS, {part}", lambda s, p=part: s["rss"][p]["peak_rss_mb"], "MB")
    add("peak RSS, all processes", _total_rss, "MB")
    training = results.get("training", {})
    stock, ours = training.get("stock", {}), training.get("ours", {})
    for figure, label in (
        ("full_s", "full `rasa train`"),
        ("no_change_s", "`rasa train`, no change"),
    ):
        table.append(Row(label, (stock.get(figure), stock.get(figure), ours.get(figure)), "s", 1))
    nlu = results.get("nlu", {})
    stock_nlu, ours_nlu = nlu.get("stock", {}), nlu.get("ours", {})
    for figure, label, unit, digits in (
        ("parse_ms_p50", "NLU parse p50", "ms", 1),
        ("parse_ms_p95", "NLU parse p95", "ms", 1),
        ("weighted_f1", "intent F1 (held-out, weighted)", "", 3),
        ("accuracy", "intent accuracy (held-out)", "", 3),
    ):
        values = (stock_nlu.get(figure), stock_nlu.get(figure), ours_nlu.get(figure))
        table.append(Row(label, values, unit, digits))
    return table


def side_by_side(results: Results) -> str:
    lines = [HEADER]
    for row in rows(results):
        default, tuned, ours = row.values
        cells = [_number(value, row.digits, row.unit) for value in row.values]
        lines.append(
            f"| {row.label} | {' | '.join(cells)} | {_ratio(ours, default)} | "
            f"{_ratio(ours, tuned)} |"
        )
    return "\n".join(lines)


HANDOFF_LABELS = {
    "handoff_to_agent_event": "handoff: trigger → agent's console event (bot idle)",
    "handoff_to_visitor_queued": "handoff: trigger → visitor told (bot idle)",
    "handoff_to_agent_event_under_load": "handoff: trigger → agent's console event, under load",
    "handoff_to_visitor_queued_under_load": "handoff: trigger → visitor told, under load",
    "relay_agent_to_visitor": "relay agent → visitor",
    "relay_visitor_to_agent": "relay visitor → agent",
    "agent_message_http": "agent's message POST alone",
}


def handoff_table(results: Results) -> str:
    handoff = results["systems"].get("ours", {}).get("handoff")
    if not handoff:
        return ""
    lines = [
        f'Ours only, {handoff["agents"]} agents online; "under load" and the relays with '
        f"{handoff['background_visitors']} visitors talking to the bot meanwhile:",
        "",
        "| measurement | n | p50 | p95 | max |",
        "|---|---:|---:|---:|---:|",
    ]
    for metric, label in HANDOFF_LABELS.items():
        figure = handoff["metrics"].get(metric)
        if figure:
            lines.append(f"| {label} | {figure['n']} | {figure['p50_ms']} ms | "
                         f"{figure['p95_ms']} ms | {figure['max_ms']} ms |")  # fmt: skip
    return "\n".join(lines)


def targets(results: Results) -> list[dict[str, Any]]:
    """Each design target of issue 7 with what this run measured."""
    systems = results["systems"]
    checks: list[dict[str, Any]] = []

    def check(name: str, goal: str, measure: Callable[[], tuple[bool, str]]) -> None:
        try:
            met, measured = measure()
        except (KeyError, TypeError, ZeroDivisionError):
            met, measured = False, "not measured"
        checks.append({"target": name, "goal": goal, "measured": measured, "met": met})

    def level(system: str, visitors: int) -> dict[str, Any]:
        return systems[system]["levels"][str(visitors)]

    def added_latency() -> tuple[bool, str]:
        ours, stock = level("ours", 1)["p50_ms"], level("stock_default", 1)["p50_ms"]
        added = ours / stock - 1
        return ours <= stock * 1.10 + 1e-9, f"{added:+.0%} ({ours} ms vs {stock} ms)"

    top = max(results["config"]["levels"])

    def throughput() -> tuple[bool, str]:
        ours, tuned = (
            level("ours", top)["messages_per_s"],
            level("stock_tuned", top)["messages_per_s"],
        )
        return ours >= 1.5 * tuned, f"{ours / tuned:.2f}× ({ours:.1f} vs {tuned:.1f} messages/s)"

    def tail() -> tuple[bool, str]:
        ours, tuned = level("ours", top)["p95_ms"], level("stock_tuned", top)["p95_ms"]
        return ours <= 0.5 * tuned, f"{ours / tuned:.2f}× ({ours:,.0f} vs {tuned:,.0f} ms)"

    def lost() -> tuple[bool, str]:
        ours = systems["ours"]
        count = sum(figure["lost"] for figure in ours["levels"].values())
        count += ours.get("handoff", {}).get("background", {}).get("lost", 0)
        return count == 0, f"{count} lost"

    def relay(metric: str) -> Callable[[], tuple[bool, str]]:
        def measure() -> tuple[bool, str]:
            p95 = systems["ours"]["handoff"]["metrics"][metric]["p95_ms"]
            return p95 <= 5.0, f"p95 {p95} ms"

        return measure

    def handoff() -> tuple[bool, str]:
        p95 = systems["ours"]["handoff"]["metrics"]["handoff_to_agent_event"]["p95_ms"]
        return p95 <= 100.0, f"p95 {p95} ms"

    def training() -> tuple[bool, str]:
        seconds = results["training"]["ours"]["full_s"]
        return seconds <= 180, f"{seconds:.0f} s"

    def ready() -> tuple[bool, str]:
        seconds = systems["ours"]["cold_start_s"]
        return seconds <= 40, f"{seconds:.1f} s"

    check("added p50 at 1 visitor vs stock, default", "≤ +10 %", added_latency)
    check(f"messages/s at {top} visitors vs stock, tuned", "≥ 1.5×", throughput)
    check(f"reply p95 at {top} visitors vs stock, tuned", "≤ 0.5×", tail)
    check("messages lost (ours, every level and the handoff phase)", "0", lost)
    check("relay agent → visitor under load", "p95 ≤ 5 ms", relay("relay_agent_to_visitor"))
    check("relay visitor → agent under load", "p95 ≤ 5 ms", relay("relay_visitor_to_agent"))
    check("handoff trigger → agent event (bot idle)", "p95 ≤ 100 ms", handoff)
    check("full training (ours)", "≤ 180 s", training)
    check("no-change `make run` ready", "≤ 40 s", ready)
    return checks


def targets_table(checks: list[dict[str, Any]]) -> str:
    lines = ["| target | goal | this run | met |", "|---|---|---|---|"]
    for item in checks:
        mark = "yes" if item["met"] else "**no**"
        lines.append(f"| {item['target']} | {item['goal']} | {item['measured']} | {mark} |")
    return "\n".join(lines)


def markdown(results: Results) -> str:
    """The whole report: side by side, ours-only handoff figures, targets."""
    config = results["config"]
    heading = (
        f"`make bench` on {results['machine']['cores']} cores, {results['started_at'][:16]} UTC"
        f"{' (tiny configuration: a harness check, not a measurement)' if config['tiny'] else ''}."
        f" Closed loop: each visitor sends, waits for the reply, pauses {config['pause_s']} s."
    )
    parts = [heading, "", side_by_side(results)]
    handoff = handoff_table(results)
    if handoff:
        parts += ["", handoff]
    parts += ["", targets_table(results.get("targets") or targets(results))]
    return "\n".join(parts) + "\n"


def plot(results: Results, path: Path) -> None:
    """Reply latency (p50 solid, p95 dashed) and messages/s against concurrent visitors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = results["config"]["levels"]
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"stock_default": "#b91c1c", "stock_tuned": "#7c3aed", "ours": "#1d4ed8"}
    for name in SYSTEMS:
        system = results["systems"].get(name)
        if not system:
            continue
        label = system["label"]
        figures = [system["levels"][str(level)] for level in levels]
        colour = colours[name]
        latency.plot(levels, [f["p50_ms"] for f in figures], "o-", color=colour,
                     label=f"{label} p50")  # fmt: skip
        latency.plot(levels, [f["p95_ms"] for f in figures], "s--", color=colour,
                     label=f"{label} p95", alpha=0.7)  # fmt: skip
        throughput.plot(levels, [f["messages_per_s"] for f in figures], "o-", color=colour,
                        label=label)  # fmt: skip
    for axes in (latency, throughput):
        axes.set_xscale("log")
        axes.set_xticks(levels)
        axes.set_xticklabels([str(level) for level in levels])
        axes.set_xlabel("concurrent visitors (closed loop)")
        axes.grid(True, which="both", alpha=0.3)
    latency.set_yscale("log")
    latency.set_ylabel("bot reply latency, ms (log)")
    latency.set_title("Reply latency")
    latency.legend(fontsize=8)
    throughput.set_ylabel("messages answered per second")
    throughput.set_title("Throughput")
    throughput.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the report of a saved results file.")
    parser.add_argument("results", type=Path, nargs="?", default=Path("bench/results.json"))
    parser.add_argument("--plot", type=Path, help="also draw the plot to this PNG")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    print(markdown(results))
    if args.plot:
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
