import json

from bot.nlu_report import confusions, intent_rows, main

REPORT = {
    "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 20},
    "vent": {"precision": 0.8, "recall": 0.7, "f1-score": 0.75, "support": 40},
    "inform": {"precision": 0.9, "recall": 0.85, "f1-score": 0.87, "support": 30},
    "accuracy": 0.9,
    "weighted avg": {"precision": 0.9, "recall": 0.9, "f1-score": 0.88, "support": 90},
}
ERRORS = [
    {"text": "ugh", "intent": "vent", "intent_prediction": {"name": "inform", "confidence": 0.5}},
    {"text": "so bad", "intent": "vent", "intent_prediction": {"name": "inform"}},
    {"text": "hey", "intent": "greet", "intent_prediction": {"name": "vent"}},
]


def test_intents_are_listed_weakest_first_without_the_averages():
    rows = intent_rows(REPORT)
    assert [row[0] for row in rows] == ["vent", "inform", "greet"]
    assert rows[0] == ("vent", 0.8, 0.7, 0.75, 40)


def test_confusions_are_counted_per_pair_most_frequent_first():
    found = confusions(ERRORS)
    assert found[0] == ("vent", "inform", 2, ["ugh", "so bad"])
    assert found[1][:3] == ("greet", "vent", 1)


def test_the_summary_is_written_beside_rasas_reports(tmp_path, capsys):
    (tmp_path / "intent_report.json").write_text(json.dumps(REPORT))
    (tmp_path / "intent_errors.json").write_text(json.dumps(ERRORS))
    assert main([str(tmp_path)]) == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "| vent | 0.800 | 0.700 | 0.750 | 40 |" in summary
    assert "vent → inform: 2×" in summary
    assert "Weighted F1 0.880" in summary


def test_a_missing_report_is_a_clear_error(tmp_path, capsys):
    assert main([str(tmp_path)]) == 1
    assert "make test-nlu" in capsys.readouterr().err
