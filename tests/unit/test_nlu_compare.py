"""The NLU comparison's pieces that need no training: the stock config it trains and
the table it prints."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.nlu_compare import PipelineResult, stock_config, table


def test_the_stock_config_is_what_rasa_init_writes(tmp_path: Path) -> None:
    config = yaml.safe_load(stock_config(tmp_path).read_text())
    assert config["recipe"] == "default.v1" and config["language"] == "en"
    assert not config["pipeline"], "the pipeline is left to Rasa's defaults"


def result(name: str, train: float, p50: float, f1: float) -> PipelineResult:
    return PipelineResult(name, f"{name}.yml", train, p50, p50 * 2, f1, f1, 10, [])


def test_the_table_compares_ours_with_stock() -> None:
    text = table([result("stock", 200, 10.0, 0.70), result("ours", 40, 5.0, 0.74)])
    rows = text.splitlines()
    assert rows[2].startswith("| stock (`stock.yml`) | 200 s | 10.0 ms | 20.0 ms | 0.700 |")
    assert rows[4] == "| ours / stock | 0.20x | 0.50x | 0.50x | +0.040 | +0.040 |"
