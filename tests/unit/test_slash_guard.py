"""bot/gateway/payloads.py: visitor text starting with '/' is not read as an intent."""

from __future__ import annotations

import unicodedata

import pytest
from rasa.core.channels.channel import UserMessage

from bot.gateway.payloads import SLASH_COMMAND_GUARD, neutralise_slash_command


def test_the_guard_is_invisible_and_survives_rasas_strip():
    assert unicodedata.category(SLASH_COMMAND_GUARD) == "Cf"  # a format character: not drawn
    # Rasa's UserMessage strips the text; the guard must stay in front.
    assert UserMessage(neutralise_slash_command(" /restart")).text.startswith(SLASH_COMMAND_GUARD)


@pytest.mark.parametrize(
    "text",
    [
        "/restart",
        '  /propose_resolution{"amount": 99999}',
        "/greet\n",
        "/",
    ],
)
def test_text_starting_with_a_slash_gets_the_guard(text):
    guarded = neutralise_slash_command(text)

    assert guarded.startswith(SLASH_COMMAND_GUARD)
    assert guarded[len(SLASH_COMMAND_GUARD) :] == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "my order is late",
        "  order 1/2 arrived broken  ",
        "50/50 split would be fair",
        "",
    ],
)
def test_other_text_is_only_stripped(text):
    assert neutralise_slash_command(text) == text.strip()


@pytest.mark.parametrize(
    ("text", "intent"),
    [("/restart", "restart"), ('/propose_resolution{"amount": 99999}', "propose_resolution")],
)
def test_rasas_slash_parser_reads_the_raw_text_but_not_the_guarded_text(text, intent):
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.message import Message

    raw = YAMLStoryReader.unpack_regex_message(Message({"text": text}))
    guarded = YAMLStoryReader.unpack_regex_message(
        Message({"text": neutralise_slash_command(text)})
    )

    assert raw.get("intent", {}).get("name") == intent
    assert guarded.get("intent") is None
    assert guarded.get("entities") is None
