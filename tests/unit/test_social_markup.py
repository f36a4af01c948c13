"""Handles, links and hashtag signs blanked out before the words are read
(bot/nlu/social_markup.py); what the customer wrote otherwise untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.social_markup import SocialMarkupRemover, without_social_markup


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("@PlumPost 12 days and still in transit #joke https://t.co/k2LmQ0",
         "12 days and still in transit joke"),
        ("huge thanks to @Swift_Drop driver", "huge thanks to driver"),
        ("#NeverAgain buying from www.shop.example/deals?x=1 lol", "NeverAgain buying from lol"),
        ("RT @TechDaily: the best earbuds", "RT : the best earbuds"),
    ],
)  # fmt: skip
def test_handles_links_and_hashtag_signs_are_blanked_out(text: str, read: str) -> None:
    cleaned = without_social_markup(text)
    assert len(cleaned) == len(text)  # the entities found keep their places
    assert " ".join(cleaned.split()) == read


@pytest.mark.parametrize(
    "text",
    [
        "my email is tom@shop.example, order #48213",
        "booking ref #PX449120 and R&D #1",
        "https://t.co/k2LmQ0",  # nothing else: the link is what was sent
        "@PlumPost",
    ],
)
def test_email_addresses_order_numbers_and_a_message_of_only_markup_are_kept(text: str) -> None:
    assert without_social_markup(text) == text


def test_the_component_cleans_training_examples_and_messages_alike(tmp_path: Path) -> None:
    component = SocialMarkupRemover.create(
        {},
        LocalModelStorage(tmp_path),
        Resource("social_markup"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    example = Message(data={"text": "@KettleCo kettle died after 6 weeks", "intent": "x"})
    component.process_training_data(TrainingData([example]))
    message = Message(data={"text": "@KettleCo kettle died"})
    component.process([message])
    assert example.get("text").split() == ["kettle", "died", "after", "6", "weeks"]
    assert message.get("text").split() == ["kettle", "died"]
