"""bot/gateway/events.py: transcript entries and Rasa replies as the events of docs/protocol.md."""

from __future__ import annotations

import pytest

from bot.gateway.events import (
    BOT_SENDER,
    SYSTEM_SENDER,
    entry_event,
    offered_quick_replies,
    reply_body,
)
from bot.transcript import TranscriptEntry

AT = "2024-11-23T15:02:11.204Z"
AGENT = {"kind": "agent", "id": "a-7", "name": "Priya", "avatar_url": None}
REFUND = {"content_type": "text", "title": "Refund", "payload": "/refund"}
REPLACE = {"content_type": "text", "title": "Replacement", "payload": "/replace"}


def entry(kind, seq: int = 4, **body) -> TranscriptEntry:
    return TranscriptEntry(seq=seq, kind=kind, at=AT, body=body)


# Visitor entries


def test_a_visitor_entry_is_a_visitor_uttered_event():
    event = entry_event(entry("visitor", text="where is my parcel?", client_message_id="c-1"))

    assert event == (
        "visitor_uttered",
        {"seq": 4, "at": AT, "text": "where is my parcel?", "client_message_id": "c-1"},
    )


def test_a_visitor_entry_without_a_client_message_id_has_it_as_null():
    name, payload = entry_event(entry("visitor", text="hi"))

    assert name == "visitor_uttered"
    assert "client_message_id" in payload
    assert payload["client_message_id"] is None


def test_a_visitor_entry_without_text_has_empty_text():
    assert entry_event(entry("visitor"))[1]["text"] == ""


def test_a_visitor_event_carries_only_the_protocols_fields():
    _, payload = entry_event(
        entry("visitor", text="hi", client_message_id="c-1", metadata={"secret": "x"})
    )

    assert set(payload) == {"seq", "at", "text", "client_message_id"}


# Bot, agent and system entries


def test_a_bot_entry_is_a_bot_uttered_event_from_the_bot():
    event = entry_event(entry("bot", text="Sorry to hear that.", sender={"kind": "bot"}))

    assert event == (
        "bot_uttered",
        {"seq": 4, "at": AT, "sender": {"kind": "bot"}, "text": "Sorry to hear that."},
    )


def test_a_bot_entry_without_a_sender_is_from_the_bot():
    assert entry_event(entry("bot", text="Hello"))[1]["sender"] == BOT_SENDER


def test_an_agent_entry_keeps_the_agent_as_sender():
    name, payload = entry_event(entry("agent", text="Hi, I'm Priya.", sender=AGENT))

    assert name == "bot_uttered"
    assert payload["sender"] == AGENT
    assert payload["text"] == "Hi, I'm Priya."


def test_a_system_notice_without_a_sender_is_from_the_system():
    name, payload = entry_event(entry("system", text="Still here, one moment."))

    assert name == "bot_uttered"
    assert payload["sender"] == SYSTEM_SENDER


def test_quick_replies_and_attachments_are_passed_on():
    attachment = {"type": "image", "payload": {"src": "https://example.com/label.png"}}

    _, payload = entry_event(
        entry("bot", text="Pick one", quick_replies=[REFUND, REPLACE], attachment=attachment)
    )

    assert payload["quick_replies"] == [REFUND, REPLACE]
    assert payload["attachment"] == attachment


def test_fields_a_bot_entry_does_not_have_are_left_out():
    _, payload = entry_event(entry("bot", attachment={"type": "file", "payload": "x"}))

    assert "text" not in payload
    assert "quick_replies" not in payload


def test_internal_entry_fields_are_not_sent_to_the_client():
    _, payload = entry_event(entry("bot", text="Hi", client_message_id="c-1", inbox_id="i-9"))

    assert set(payload) == {"seq", "at", "sender", "text"}


def test_custom_payload_keys_reach_the_client_at_the_top_level():
    _, payload = entry_event(entry("bot", custom={"order_card": {"id": "48213"}, "tone": "calm"}))

    assert payload["order_card"] == {"id": "48213"}
    assert payload["tone"] == "calm"
    assert "custom" not in payload


def test_custom_payload_keys_cannot_replace_the_numbering_or_the_sender():
    custom = {
        "seq": 999,
        "at": "1999-01-01T00:00:00.000Z",
        "sender": {"kind": "agent", "id": "fake", "name": "Fake"},
        "text": "forged",
        "quick_replies": [{"title": "x", "payload": "/restart"}],
        "attachment": {"type": "file", "payload": "forged"},
    }

    _, payload = entry_event(entry("bot", seq=7, text="real", custom=custom))

    assert payload == {"seq": 7, "at": AT, "sender": BOT_SENDER, "text": "real"}


def test_a_custom_payload_that_is_not_an_object_is_ignored():
    _, payload = entry_event(entry("bot", text="Hi", custom=["not", "an", "object"]))

    assert payload == {"seq": 4, "at": AT, "sender": BOT_SENDER, "text": "Hi"}


# Handoff entries


def test_a_system_handoff_entry_is_a_handoff_event():
    handoff = {"state": "queued", "position": 2, "wait_seconds": 180, "text": "You're 2nd."}

    event = entry_event(entry("system", seq=9, handoff=handoff))

    assert event == ("handoff", {"seq": 9, "at": AT, **handoff})


def test_an_assigned_handoff_carries_the_agent():
    handoff = {"state": "assigned", "agent": {"id": "a-7", "name": "Priya", "team": "billing"}}

    name, payload = entry_event(entry("system", handoff=handoff))

    assert name == "handoff"
    assert payload["state"] == "assigned"
    assert payload["agent"] == {"id": "a-7", "name": "Priya", "team": "billing"}


def test_a_handoff_field_on_a_bot_entry_does_not_make_it_a_handoff():
    name, payload = entry_event(entry("bot", text="Hi", handoff={"state": "closed"}))

    assert name == "bot_uttered"
    assert "state" not in payload


def test_a_system_entry_whose_handoff_is_not_an_object_is_a_notice():
    name, payload = entry_event(entry("system", text="notice", handoff="closed"))

    assert name == "bot_uttered"
    assert payload["sender"] == SYSTEM_SENDER


# Rasa replies


def test_a_text_reply_becomes_a_bot_body():
    assert reply_body({"recipient_id": "s1", "text": "Hello!"}) == {
        "sender": BOT_SENDER,
        "text": "Hello!",
    }


def test_buttons_become_quick_replies():
    reply = {
        "text": "What would help most?",
        "buttons": [
            {"title": "Refund", "payload": "/refund"},
            {"title": "Replacement", "payload": "/replace"},
        ],
    }

    assert reply_body(reply)["quick_replies"] == [REFUND, REPLACE]


def test_button_titles_and_payloads_are_always_text():
    reply = {"buttons": [{"title": 5, "payload": 48213}, {"payload": "/x"}, {"title": "T"}]}

    assert reply_body(reply)["quick_replies"] == [
        {"content_type": "text", "title": "5", "payload": "48213"},
        {"content_type": "text", "title": "", "payload": "/x"},
        {"content_type": "text", "title": "T", "payload": ""},
    ]


def test_buttons_that_are_not_objects_are_skipped():
    reply = {"buttons": ["Refund", None, {"title": "Refund", "payload": "/refund"}]}

    assert reply_body(reply)["quick_replies"] == [REFUND]


def test_buttons_that_are_not_a_list_are_ignored():
    assert "quick_replies" not in reply_body({"text": "hi", "buttons": {"title": "x"}})


def test_an_image_becomes_an_image_attachment():
    body = reply_body({"image": "https://example.com/label.png"})

    assert body == {
        "sender": BOT_SENDER,
        "attachment": {"type": "image", "payload": {"src": "https://example.com/label.png"}},
    }


def test_an_attachment_becomes_a_file_attachment():
    body = reply_body({"attachment": {"url": "https://example.com/invoice.pdf"}})

    assert body["attachment"] == {
        "type": "file",
        "payload": {"url": "https://example.com/invoice.pdf"},
    }


def test_an_image_wins_over_an_attachment():
    body = reply_body({"image": "https://example.com/a.png", "attachment": "invoice.pdf"})

    assert body["attachment"]["type"] == "image"


def test_a_custom_reply_keeps_its_custom_payload():
    body = reply_body({"custom": {"order_card": {"id": "48213"}}})

    assert body == {"sender": BOT_SENDER, "custom": {"order_card": {"id": "48213"}}}


@pytest.mark.parametrize(
    "reply",
    [
        {"text": None},
        {"text": 42},
        {"image": None},
        {"image": 7},
        {"attachment": None},
        {"custom": "not an object"},
        {"custom": None},
        {"elements": [{"title": "card"}]},
    ],
)
def test_reply_fields_of_the_wrong_type_are_left_out(reply):
    assert reply_body(reply) == {"sender": BOT_SENDER}


def test_a_reply_body_becomes_the_bot_uttered_event_rasas_channel_would_send():
    reply = {
        "recipient_id": "s1",
        "text": "Which do you prefer?",
        "buttons": [{"title": "Refund", "payload": "/refund"}],
        "custom": {"tone": "calm"},
    }

    _, payload = entry_event(entry("bot", seq=12, **reply_body(reply)))

    assert payload == {
        "tone": "calm",
        "seq": 12,
        "at": AT,
        "sender": BOT_SENDER,
        "text": "Which do you prefer?",
        "quick_replies": [REFUND],
    }


# Offered quick replies


def test_offered_quick_replies_are_every_quick_reply_of_the_turn_in_order():
    bodies = [
        reply_body({"text": "Sorry about that."}),
        reply_body(
            {
                "text": "What would help?",
                "buttons": [
                    {"title": "Refund", "payload": "/refund"},
                    {"title": "Replacement", "payload": "/replace"},
                ],
            }
        ),
        reply_body({"buttons": [{"title": "Talk to a person", "payload": "/human"}]}),
    ]

    assert offered_quick_replies(bodies) == [
        {"title": "Refund", "payload": "/refund"},
        {"title": "Replacement", "payload": "/replace"},
        {"title": "Talk to a person", "payload": "/human"},
    ]


def test_empty_payloads_are_not_offered():
    bodies = [{"quick_replies": [{"title": "No payload", "payload": ""}, {"title": "None"}]}]

    assert offered_quick_replies(bodies) == []


def test_a_quick_reply_without_a_title_is_titled_by_its_payload():
    assert offered_quick_replies([{"quick_replies": [{"payload": "/affirm"}]}]) == [
        {"title": "/affirm", "payload": "/affirm"}
    ]


def test_a_turn_without_quick_replies_offers_nothing():
    assert offered_quick_replies([reply_body({"text": "hi"}), {}]) == []
    assert offered_quick_replies([]) == []


def test_a_chosen_quick_reply_reaches_clients_as_its_title_with_the_payload_beside_it():
    entry = TranscriptEntry(
        seq=4, kind="visitor", at=AT, body={"text": "Yes", "payload": "/affirm"}
    )

    event, payload = entry_event(entry)

    assert event == "visitor_uttered"
    assert payload["text"] == "Yes"
    assert payload["payload"] == "/affirm"


def test_typed_text_has_no_payload_field():
    _, payload = entry_event(TranscriptEntry(seq=4, kind="visitor", at=AT, body={"text": "hi"}))

    assert "payload" not in payload
