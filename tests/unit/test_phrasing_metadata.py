"""actions/phrasing.say: each bot message carries its phrase key (BotUttered metadata)."""

from __future__ import annotations

from actions.phrasing import phrasebook, say


def test_say_puts_the_phrase_key_on_the_message(dispatcher):
    say(dispatcher, "restate_complaint", summary="your order hasn't arrived yet")

    message = dispatcher.messages[0]
    assert message["phrase"] == "restate_complaint"
    assert phrasebook().matches("restate_complaint", message["text"])


def test_each_message_carries_its_own_key(dispatcher):
    say(dispatcher, "acknowledge_vent")
    say(dispatcher, "ask_to_rephrase")

    assert [message["phrase"] for message in dispatcher.messages] == [
        "acknowledge_vent",
        "ask_to_rephrase",
    ]
