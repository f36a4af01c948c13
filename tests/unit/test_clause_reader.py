"""Every problem in a long message: clauses cut and read one by one (bot/nlu/clauses.py,
bot/nlu/clause_reader.py), trained on our own training data."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.message_reading import raised_categories
from bot.nlu.clause_reader import (
    CLAUSE_CATEGORIES,
    RESCUED,
    ClauseReader,
    label_of,
    rescued_intent,
)
from bot.nlu.clauses import clauses_of
from bot.nlu.message_signals import SIGNALS

ROOT = Path(__file__).resolve().parents[2]
KNOWN = ["late_delivery", "damaged_item", "wrong_item", "missing_item", "lost_parcel",
         "refund", "billing", "faulty_item"]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("got the wrong colour phone case AND no screen protector in the box",
         ["got the wrong colour phone case", "no screen protector in the box"]),
        ("The lamp is cracked. Also the bulb is missing!",
         ["The lamp is cracked", "the bulb is missing"]),
        ("heel came off after a week - and the box was crushed too",
         ["heel came off after a week", "the box was crushed too"]),
        ("the mug is chipped & the saucer never came",
         ["the mug is chipped", "the saucer never came"]),
        ("order 4471: the rug is the wrong size", ["the rug is the wrong size"]),
        ("my kettle arrived smashed", ["my kettle arrived smashed"]),
        ("sand and gravel", []),
    ],
)  # fmt: skip
def test_a_message_is_cut_at_sentence_ends_and_joining_words(text: str, clauses: list[str]) -> None:
    assert clauses_of(text) == clauses


def test_only_complaints_and_intents_that_name_no_problem_teach_the_reader() -> None:
    assert label_of("complain_missing_item") == "missing_item"
    assert label_of("request_human") == "none"
    assert label_of("deny") is None  # "no, it's the wrong colour" names a problem
    assert label_of("vent") is None
    assert label_of("inform") == "none"  # "I paid $38 for it" is a detail
    assert label_of("inform", names_a_problem=True) is None  # "the bread was mouldy"


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> ClauseReader:
    """Trained on data/nlu, saved and loaded again as Rasa does."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("clause_reader"))
    resource = Resource("clause_reader")
    context = ExecutionContext(GraphSchema({}), "test")
    config = ClauseReader.get_default_config()
    ClauseReader.create(config, storage, resource, context).train(load_data(str(ROOT / "data/nlu")))
    return ClauseReader.load(config, storage, resource, context)


def read_message(
    reader: ClauseReader, text: str, signals: dict | None = None, intent: str | None = None
) -> Message:
    data: dict = {"text": text, **({SIGNALS: signals} if signals else {})}
    if intent is not None:
        data["intent"] = {"name": intent, "confidence": 0.45}
    message = Message(data=data)
    reader.process([message])
    return message


def categories_read(reader: ClauseReader, text: str, signals: dict | None = None) -> dict:
    return read_message(reader, text, signals).get(SIGNALS) or {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the desk arrived with a huge dent in the top and the bag of screws was not in the box",
         {"damaged_item", "missing_item"}),
        ("you charged my card twice for this order. and the parcel still hasn't turned up "
         "after 2 weeks",
         {"billing", "late_delivery"}),
    ],
)  # fmt: skip
def test_each_problem_of_a_long_message_is_read(
    reader: ClauseReader, text: str, expected: set[str]
) -> None:
    assert expected <= set(categories_read(reader, text)[CLAUSE_CATEGORIES])


def test_clauses_that_name_no_problem_add_nothing(reader: ClauseReader) -> None:
    found = categories_read(
        reader, "hi there, hope you are well. could I please speak to a person about something",
        {"classified_as": "request_human"},
    )  # fmt: skip
    assert found == {"classified_as": "request_human"}  # the signals already there are kept


def test_a_message_of_one_clause_is_left_to_the_intent(reader: ClauseReader) -> None:
    assert CLAUSE_CATEGORIES not in categories_read(reader, "my kettle arrived smashed to bits")


def test_clause_categories_follow_the_intents_and_a_wider_one_replaces_a_narrower() -> None:
    def raised(intent: str, clause: list[str], text: str = "x") -> list[str]:
        return raised_categories(intent, {CLAUSE_CATEGORIES: clause}, {}, text, KNOWN)

    assert raised("complain_damaged_item", ["damaged_item", "missing_item"]) == [
        "damaged_item",
        "missing_item",
    ]
    assert raised("complain_lost_parcel", ["late_delivery"]) == ["lost_parcel"]
    assert raised("complain_billing", ["late_delivery"], "charged twice, and it's not late") == [
        "billing"
    ]  # what the message denies stays denied
    assert raised("complain_billing", ["no_such_category"]) == ["billing"]


def test_a_clause_never_overrules_the_messages_own_reading() -> None:
    """ "never arrived" read as late by the message stays late, though a clause reads it as
    lost; a refund asked for beside a refund not received adds nothing."""
    for intent, clause in (("complain_late_delivery", "lost_parcel"),
                           ("complain_refund_not_received", "refund")):  # fmt: skip
        raised = raised_categories(intent, {CLAUSE_CATEGORIES: [clause]}, {}, "x", [
            *KNOWN, "refund_not_received"])  # fmt: skip
        assert raised == [intent.removeprefix("complain_")]


def test_a_long_message_the_classifier_fell_back_on_becomes_the_complaint_its_clauses_name(
    reader: ClauseReader,
) -> None:
    message = read_message(
        reader,
        "the bag of screws was not in the box and the instructions are for a different desk",
        {"classified_as": "nlu_fallback"},
        "nlu_fallback",
    )
    assert message.get("intent")["name"] == "complain_missing_item"
    assert message.get(SIGNALS)[RESCUED] is True


@pytest.mark.parametrize(
    ("intent", "signals", "text"),
    [
        ("ask_question", {}, "the bag of screws was not in the box and the lid is cracked"),
        ("nlu_fallback", {"language": "es"}, "the bag of screws was not in the box and more"),
        ("nlu_fallback", {"person_request": True}, "screws not in the box, and a person please"),
        ("nlu_fallback", {"denial": True}, "no, the screws were not in the box and so on"),
        ("nlu_fallback", {}, "screws missing and lid"),
    ],
)  # fmt: skip
def test_a_message_placed_heard_otherwise_or_short_is_never_rescued(
    intent: str, signals: dict, text: str
) -> None:
    assert rescued_intent(intent, signals, text, ["missing_item"]) is None


def test_a_fallback_with_no_problem_read_stays_a_fallback() -> None:
    assert rescued_intent("nlu_fallback", {}, "hello there and how are you today", []) is None
    assert (
        rescued_intent("nlu_fallback", {}, "the screws were not in the box", ["missing_item"])
        == "complain_missing_item"
    )
