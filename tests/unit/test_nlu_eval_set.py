"""tests/nlu_eval/: the held-out messages of ``make eval-nlu`` and how they are scored.

The set must load, be as large and as varied as issue 15 asks, and share no message with
the training data; the scoring must count what the bot would do with each message.
"""

from __future__ import annotations

import re

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from tests.conftest import ROOT
from tests.nlu_eval.heldout import HeldOutError, HeldOutMessage, load_held_out
from tests.nlu_eval.run import read
from tests.nlu_eval.scoring import Reading, score

KNOWN = [
    "late_delivery", "lost_parcel", "damaged_item", "wrong_item", "billing", "refund",
    "faulty_item", "missing_item",
]  # fmt: skip


def normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


@pytest.fixture(scope="module")
def held_out() -> list[HeldOutMessage]:
    return load_held_out()


def test_the_set_is_as_large_and_varied_as_promised(held_out: list[HeldOutMessage]) -> None:
    assert len(held_out) >= 800
    assert sum(not m.is_complaint for m in held_out) >= 250
    assert sum(len(m.categories) > 1 for m in held_out) >= 80
    assert sum(m.person and m.is_complaint for m in held_out) >= 80
    assert {m.kind for m in held_out} >= {"question", "praise", "markup", "other_language"}


def test_no_held_out_message_is_a_training_example(held_out: list[HeldOutMessage]) -> None:
    trained = {
        normalised(e.get("text")) for e in load_data(str(ROOT / "data" / "nlu")).intent_examples
    }
    assert [m.text for m in held_out if normalised(m.text) in trained] == []


def test_a_message_without_a_kind_or_categories_is_refused(tmp_path) -> None:
    (tmp_path / "bad.yml").write_text('messages:\n  - text: "hello"\n    categories: []\n')
    with pytest.raises(HeldOutError, match=r"bad\.yml, message 1"):
        load_held_out(tmp_path)


def test_only_the_files_matching_a_pattern_are_loaded(tmp_path) -> None:
    greeting = '  - {text: "hi", categories: [], kind: greeting}'
    complaint = '  - {text: "late!", categories: [late_delivery]}'
    (tmp_path / "help_desk.yml").write_text(f"messages:\n{greeting}\n")
    (tmp_path / "shops.yml").write_text(f"messages:\n{complaint}\n")
    assert [m.text for m in load_held_out(tmp_path, "help_*.yml")] == ["hi"]
    assert [m.source for m in load_held_out(tmp_path)] == ["help_desk.yml", "shops.yml"]


def message(categories=(), person=False, order_id=None, amounts=(), kind=None) -> HeldOutMessage:
    return HeldOutMessage(
        text="x", categories=tuple(categories), kind=kind if not categories else None,
        person=person, order_id=order_id, amounts=tuple(amounts), source="t",
    )  # fmt: skip


def reading(categories=(), person=False, order_ids=(), amounts=(), ms=5.0) -> Reading:
    return Reading("i", tuple(categories), person, tuple(order_ids), tuple(amounts), ms)


def test_scores_count_detection_categories_persons_ids_and_amounts() -> None:
    pairs = [
        (message(["late_delivery"], order_id="48213"),
         reading(["late_delivery"], order_ids=["#48213"])),
        (message(["lost_parcel", "billing"], person=True), reading(["late_delivery"], person=True)),
        (message(kind="question"), reading(["damaged_item"], order_ids=["07700900123"])),
        (message(kind="praise", amounts=["£40"]), reading(amounts=["40 quid"])),
        (message(["refund"], order_id="ORD-1234"), reading([], order_ids=["1234"])),
    ]  # fmt: skip

    scores = score(pairs)

    assert scores.complaint_precision == pytest.approx(2 / 3)
    assert scores.complaint_recall == pytest.approx(2 / 3)
    assert scores.category_accuracy == pytest.approx(1 / 3)
    assert scores.all_problems_named == 0
    assert scores.wrong_restatements == 2
    assert scores.unmeant_problems == 1  # late_delivery for a lost parcel; questions not counted
    assert (scores.person_recall, scores.person_precision) == (1.0, 1.0)
    assert scores.order_id_accuracy == pytest.approx(2 / 3)
    assert scores.false_order_ids == 1
    assert scores.amount_recall == 1.0
    assert ("lost_parcel", "late_delivery", 1) in scores.confusions
    assert not all(target.met for target in scores.targets())


def parsed(intent: str, signals=None, entities=()) -> dict:
    return {
        "text": "my order 48213 is late, get me a human",
        "intent": {"name": intent},
        "signals": signals or {},
        "entities": [{"entity": n, "value": v} for n, v in entities],
    }


def test_a_request_for_a_person_with_a_complaint_is_read_as_both() -> None:
    found = read(
        parsed("request_human", {"classified_as": "complain_late_delivery", "person_request": True},
               [("order_id", "48213")]),
        KNOWN, 3.0,
    )  # fmt: skip
    assert (found.categories, found.person, found.order_ids) == (
        ("late_delivery",),
        True,
        ("48213",),
    )


def test_a_question_is_never_a_restated_complaint_even_with_a_problem_word() -> None:
    found = read(parsed("ask_question", entities=[("problem", "damaged_item")]), KNOWN, 3.0)
    assert found.categories == ()


def test_a_complaint_intent_names_every_problem_in_it() -> None:
    found = read(
        parsed("complain_missing_item",
               entities=[("problem", "missing_item"), ("problem", "damaged_item")]),
        KNOWN, 3.0,
    )  # fmt: skip
    assert found.categories == ("missing_item", "damaged_item")
