"""bot/gateway/quick_replies.py: a chosen quick reply is recorded by its title and sent
by its payload; only offered payloads starting with '/' reach Rasa as intents."""

from __future__ import annotations

import pytest

from bot.gateway.payloads import SLASH_COMMAND_GUARD
from bot.gateway.quick_replies import ChosenQuickReply, chosen_quick_reply, text_for_rasa
from bot.inbox import QUEUE_WAIT

CORRECTION = '/inform{"correction_part":"order_id"}'
OFFERED = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
    {"title": "The order number", "payload": CORRECTION},
    {"title": "I'll wait", "payload": QUEUE_WAIT},
]


@pytest.mark.parametrize(
    ("sent", "title"),
    [("/affirm", "Yes"), ("/deny", "No"), (CORRECTION, "The order number")],
)
def test_an_offered_payload_is_that_choice_and_goes_to_rasa_unchanged(sent, title):
    chosen = chosen_quick_reply(OFFERED, sent)

    assert chosen == ChosenQuickReply(title=title, payload=sent)
    assert text_for_rasa(sent, chosen) == sent


@pytest.mark.parametrize(
    "sent",
    ["/restart", "/request_human", '/inform{"correction_part":"amount"}', "/affirm ", "/AFFIRM"],
)
def test_a_slash_text_that_was_not_offered_stays_neutralised(sent):
    chosen = chosen_quick_reply(OFFERED, sent)

    assert chosen is None
    assert text_for_rasa(sent, chosen).startswith(SLASH_COMMAND_GUARD)


def test_nothing_offered_means_no_choice():
    assert chosen_quick_reply([], "/affirm") is None
    assert chosen_quick_reply(None, "/affirm") is None
    assert chosen_quick_reply([{"title": "Yes"}, "junk"], "/affirm") is None


def test_the_queue_choices_are_the_gateways_own_and_never_reach_rasa_as_intents():
    chosen = chosen_quick_reply(OFFERED, QUEUE_WAIT)

    assert chosen is not None and chosen.title == "I'll wait"  # recorded as the title
    assert text_for_rasa(QUEUE_WAIT, chosen).startswith(SLASH_COMMAND_GUARD)


def test_an_untitled_reply_is_recorded_as_its_payload():
    assert chosen_quick_reply([{"payload": "/affirm", "title": ""}], "/affirm") == (
        ChosenQuickReply(title="/affirm", payload="/affirm")
    )
