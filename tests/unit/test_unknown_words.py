"""Keyboard mash is not understood, whatever the classifier says: a message none of whose
words the training data has becomes ``nlu_fallback`` (bot/nlu/unknown_words.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.unknown_words import UnknownWordsFallback, words_of

GREET = {"name": "greet", "confidence": 0.81}


@pytest.fixture
def trained(tmp_path: Path) -> UnknownWordsFallback:
    """Trained on a few examples and a lookup table, saved, and loaded back."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("unknown_words")
    context = ExecutionContext(GraphSchema({}), "test")
    component = UnknownWordsFallback.create({}, storage, resource, context)
    component.train(
        TrainingData(
            training_examples=[
                Message(
                    data={
                        "text": "my kettle from order 48213 arrived smashed",
                        "intent": "complain_damaged_item",
                    }
                ),
                Message(data={"text": "hello there", "intent": "greet"}),
                Message(data={"text": "thanks, that's great", "intent": "thank"}),
            ],
            lookup_tables=[{"name": "product", "elements": ["towel rail", "armchair"]}],
        )
    )
    return UnknownWordsFallback.load({}, storage, resource, context)


def classified(text: str, **extra: Any) -> Message:
    return Message(data={"text": text, "intent": dict(GREET), "intent_ranking": [dict(GREET)],
                         **extra})  # fmt: skip


@pytest.mark.parametrize("text", ["qwxz plorb vrrt", "asdf jkl", "Blorp!", "zzzz 48213 qqqq"])
def test_a_message_with_no_known_word_becomes_a_fallback(
    trained: UnknownWordsFallback, text: str
) -> None:
    [message] = trained.process([classified(text)])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert [entry["name"] for entry in message.get("intent_ranking")] == ["nlu_fallback", "greet"]
    assert message.as_dict_nlu()["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize(
    "text",
    [
        "Hellooo",  # repeated letters
        "thankss!!",
        "the armchair",  # a lookup table's word
        "xyzzy kettle",  # one known word is enough
        "48213",  # digits are not judged
        "👋",  # no words at all
    ],
)
def test_a_message_with_a_known_word_keeps_its_intent(
    trained: UnknownWordsFallback, text: str
) -> None:
    [message] = trained.process([classified(text)])
    assert message.get("intent") == GREET


def test_a_message_with_an_entity_keeps_its_intent(trained: UnknownWordsFallback) -> None:
    entity = {"entity": "email", "value": "qx@zz.io", "start": 0, "end": 8}
    [message] = trained.process([classified("qxzz@zzvb.io", entities=[entity])])
    assert message.get("intent") == GREET


def test_words_are_lowercase_letters_with_repeats_made_single() -> None:
    assert words_of("Don't SHOUT, order #48213 cost $20!!! Soooo") == ["don't", "shout", "order",
                                                                        "cost", "so"]  # fmt: skip
