"""bot/handoff/packet.py: the packet an agent reads, built from a real-looking complaint."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest

from bot.chat_ids import chat_id
from bot.frustration import FrustrationMeter, measure_trend
from bot.handoff.packet import (
    PACKET_SCHEMA,
    PACKET_VERSION,
    SUMMARY_MAX_CHARS,
    EarlierConversation,
    HandoffPacket,
    ProposedFix,
    build_packet,
    customer_told_more,
    packet_for_agents,
)
from bot.transcript import TranscriptEntry
from tests.unit.builders import entity, user_event

NOW = datetime(2026, 11, 23, 15, 2, 11, 204000, tzinfo=timezone.utc)
CATEGORY_NAMES = {"late_delivery": "late delivery", "damaged_item": "damaged item"}

COMPLAINT = "My blender from order ORD-12345 still hasn't arrived, two weeks now"
RESTATED = (
    "Let me check I've understood: the blender from order #12345 hasn't arrived yet, "
    "and you've been waiting two weeks. Did I get that right?"
)
CASE_SUMMARY = "Order #12345 (the blender) hasn't arrived; waiting two weeks."
"""What the restatement action writes for agents beside its question (metadata)."""
LIMITS = (
    "Here's what I can do for a late delivery: I can check where the parcel is, refund the "
    "delivery fee, or send a replacement if the courier has lost it. What I can't do is make "
    "the courier deliver faster once the parcel is on its way."
)
PROPOSAL = (
    "My suggestion is that I refund the delivery fee. I can also send a replacement by express "
    "delivery if the parcel is lost. What would you consider fair?"
)
REFUSAL = "no, that's not good enough"
FAIR_ASK = "refund the whole order"
MARIA = {"id": "agent-7", "name": "Maria", "team": "billing", "avatar_url": None}
EARLIER = [
    EarlierConversation(
        chat_id="earlierChatId000000000",
        started_at="2026-10-02T09:12:00.000Z",
        outcome="resolved",
        summary="Damaged item, order 11111 — replacement sent",
    )
]


@pytest.fixture(scope="module")
def meter() -> FrustrationMeter:
    return FrustrationMeter()


def user(intent: str, text: str, *entities: dict[str, Any]) -> dict[str, Any]:
    event = user_event(intent, text, list(entities))
    event["metadata"] = {"customer_key": "user:42"}
    event["timestamp"] = 1795446000.0
    return event


def bot(phrase: str, text: str, case_summary: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"phrase": phrase}
    if phrase == "restate_complaint":
        metadata["case_summary"] = CASE_SUMMARY if case_summary is None else case_summary
    return {"event": "bot", "text": text, "metadata": metadata, "timestamp": 1795446001.0}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def complaint_events(restatement_answer: str = "affirm") -> list[dict[str, Any]]:
    """Complaint → restatement → answer → limits → proposal → refusal → fair ask → handoff."""
    answer_text = {"affirm": "yes, that's right", "deny": "no, that's wrong"}
    return [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
        user(
            "complain_late_delivery",
            COMPLAINT,
            entity("order_id", "ORD-12345"),
            entity("product", "blender"),
            entity("waited", "two weeks"),
        ),
        slot("order_id", "ORD-12345"),
        slot("product", "blender"),
        slot("waited", "two weeks"),
        {"event": "action", "name": "action_acknowledge_complaint"},
        bot("acknowledge_complaint", "I'm sorry your order hasn't reached you yet. …"),
        slot("complaint_categories", ["late_delivery"]),
        slot("complaint_open", True),
        {"event": "action", "name": "action_restate_complaint"},
        bot("restate_complaint", RESTATED),
        slot("dialogue_stage", "complaint_restated"),
        {"event": "action", "name": "action_listen"},
        user(restatement_answer, answer_text.get(restatement_answer, restatement_answer)),
        {"event": "action", "name": "action_state_limits"},
        bot("state_limits", LIMITS),
        {"event": "action", "name": "action_propose_fix"},
        bot("propose_fix", PROPOSAL),
        slot("proposed_fix", "refund_delivery_fee"),
        slot("dialogue_stage", "fix_proposed"),
        {"event": "action", "name": "action_listen"},
        user("deny", REFUSAL),
        {"event": "action", "name": "action_ask_what_would_be_fair"},
        bot("ask_what_would_be_fair", "Understood. What would make this right for you?"),
        slot("dialogue_stage", "fair_ask_requested"),
        {"event": "action", "name": "action_listen"},
        user("propose_resolution", FAIR_ASK),
        {"event": "action", "name": "action_evaluate_fair_ask"},
        bot("handoff_requested", "I'm bringing in a colleague from our team …"),
        slot("complaint_open", False),
        slot("dialogue_stage", "handed_off"),
    ]


def transcript_of(events: list[dict[str, Any]]) -> list[TranscriptEntry]:
    entries = []
    for event in events:
        if event["event"] not in ("user", "bot"):
            continue
        at = (NOW + timedelta(seconds=len(entries))).isoformat(timespec="milliseconds")
        at = at.replace("+00:00", "Z")
        if event["event"] == "user":
            body: dict[str, Any] = {"text": event["text"], "client_message_id": "m"}
            entries.append(TranscriptEntry(len(entries) + 1, "visitor", at, body))
        else:
            body = {"text": event["text"], "sender": {"kind": "bot"}}
            entries.append(TranscriptEntry(len(entries) + 1, "bot", at, body))
    return entries


def packet_for(
    events: list[dict[str, Any]],
    meter: FrustrationMeter,
    customer_ask: str | None = None,
    trigger: str = "fair_ask_beyond_authority",
    categories: list[str] | None = None,
) -> HandoffPacket:
    return build_packet(
        session_id="s-123",
        customer_key="user:42",
        events=events,
        transcript=transcript_of(events),
        trigger=trigger,
        reason="'full_refund' needs a colleague's approval",
        customer_ask=customer_ask,
        categories=["late_delivery"] if categories is None else categories,
        category_names=CATEGORY_NAMES,
        earlier=EARLIER,
        meter=meter,
        routed_to=MARIA,
        now=NOW,
    )


def validate(data: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(PACKET_SCHEMA)
    jsonschema.Draft202012Validator(PACKET_SCHEMA).validate(data)


# --- every field -----------------------------------------------------------------------


def test_a_realistic_complaint_fills_every_field(meter):
    events = complaint_events()

    packet = packet_for(events, meter, customer_ask=FAIR_ASK)

    assert packet.version == PACKET_VERSION == 2
    assert packet.chat_id == chat_id("s-123")  # agents read it: never the session id
    assert packet.customer_key == "user:42"
    assert packet.created_at == "2026-11-23T15:02:11.204Z"
    assert packet.trigger == "fair_ask_beyond_authority"
    assert packet.reason == "'full_refund' needs a colleague's approval"
    assert packet.summary == "Late delivery, order 12345 — asks: refund the whole order"
    assert packet.category == "late_delivery"
    assert packet.categories == ["late_delivery"]
    assert packet.complaint == {"restated": CASE_SUMMARY, "confirmed": True}
    assert packet.entities == {
        "order_id": "12345",
        "amount": None,
        "product": "blender",
        "email": None,
        "waited": "two weeks",
    }
    assert packet.limits_stated == [LIMITS]
    assert packet.fixes_proposed == [
        ProposedFix(text=PROPOSAL, answer=REFUSAL, answer_intent="deny")
    ]
    assert packet.fair_ask == FAIR_ASK
    assert packet.frustration == measure_trend(events, meter).to_json()
    assert len(packet.frustration["scores"]) == 4
    assert packet.earlier_conversations == EARLIER
    assert packet.routed_to == MARIA


def test_the_transcript_keeps_order_kind_time_text_and_sender(meter):
    packet = packet_for(complaint_events(), meter)

    assert [line["seq"] for line in packet.transcript] == list(range(1, 11))
    first, second = packet.transcript[:2]
    assert first == {
        "seq": 1,
        "kind": "visitor",
        "at": "2026-11-23T15:02:11.204Z",
        "text": COMPLAINT,
        "sender": None,
    }
    assert second["kind"] == "bot"
    assert second["sender"] == {"kind": "bot"}
    assert packet.transcript[-2]["text"] == FAIR_ASK


# --- the complaint as restated ---------------------------------------------------------


def test_a_denied_restatement_is_given_as_its_summary_marked_not_confirmed(meter):
    packet = packet_for(complaint_events("deny"), meter)

    assert packet.complaint == {"restated": CASE_SUMMARY, "confirmed": False}


def test_another_answer_to_the_restatement_leaves_it_open(meter):
    packet = packet_for(complaint_events("inform"), meter)

    assert packet.complaint == {"restated": CASE_SUMMARY, "confirmed": None}


def test_the_bots_question_is_never_the_complaint(meter):
    for answer in ("affirm", "deny", "inform"):
        restated = packet_for(complaint_events(answer), meter).complaint["restated"]
        assert restated is not None
        assert "Did I get that right" not in restated
        assert "Let me check" not in restated


def test_the_latest_confirmed_restatement_counts(meter):
    corrected = RESTATED.replace("blender", "toaster")
    events = [
        user("complain_late_delivery", COMPLAINT),
        bot("restate_complaint", RESTATED, "Order #12345 (the blender) hasn't arrived."),
        user("deny", "no, it's the toaster"),
        bot("ask_what_was_missed", "I'm sorry I got that wrong. What did I miss?"),
        user("inform", "the toaster"),
        bot("restate_complaint", corrected, "Order #12345 (the toaster) hasn't arrived."),
        user("affirm", "/affirm"),
    ]

    packet = packet_for(events, meter)

    assert packet.complaint == {
        "restated": "Order #12345 (the toaster) hasn't arrived.",
        "confirmed": True,
    }


def test_a_confirmed_restatement_wins_over_a_later_unconfirmed_one(meter):
    events = [
        user("complain_late_delivery", COMPLAINT),
        bot("restate_complaint", RESTATED, "Order #12345 (the blender) hasn't arrived."),
        user("affirm", "yes"),
        bot("restate_complaint", RESTATED, "Order #12345 (the blender) is late and damaged."),
        user("inform", "hmm"),
    ]

    packet = packet_for(events, meter)

    assert packet.complaint == {
        "restated": "Order #12345 (the blender) hasn't arrived.",
        "confirmed": True,
    }


def test_without_a_restatement_the_complaint_comes_from_the_categories(meter):
    asked = [user("request_human", "let me talk to a person"), slot("order_id", "#48213")]
    unanswered = [user("complain_late_delivery", COMPLAINT), bot("restate_complaint", RESTATED)]

    from_categories = packet_for(asked, meter, categories=["damaged_item", "late_delivery"])
    assert from_categories.complaint == {
        "restated": "Damaged item and late delivery, order #48213.",
        "confirmed": None,
    }
    assert packet_for(asked, meter, categories=[]).complaint == {
        "restated": None,
        "confirmed": None,
    }
    assert packet_for(unanswered, meter).complaint == {
        "restated": CASE_SUMMARY,
        "confirmed": None,
    }


def test_a_restatement_without_a_case_summary_falls_back_to_the_categories(meter):
    events = [
        user("complain_late_delivery", COMPLAINT),
        bot("restate_complaint", RESTATED, ""),
        user("affirm", "yes"),
    ]

    assert packet_for(events, meter).complaint == {"restated": "Late delivery.", "confirmed": None}


# --- whether there is anything for the agent to see --------------------------------------


def test_asking_for_a_person_and_small_talk_leave_nothing_to_see():
    assert not customer_told_more([user("request_human", "can I talk to a person")])
    assert not customer_told_more(
        [user("greet", "hi"), user("request_human", "human please"), user("affirm", "yes")]
    )
    assert not customer_told_more([])


def test_anything_about_the_problem_is_something_to_see():
    assert customer_told_more([user("complain_late_delivery", COMPLAINT)])
    assert customer_told_more([user("nlu_fallback", "qwxz plorb"), user("request_human", "human")])


# --- entities, fixes, fair ask ---------------------------------------------------------


def test_entities_take_the_latest_slot_values(meter):
    events = [
        slot("order_id", "ORD-11111"),
        slot("amount", ["$20", "$49.99"]),
        slot("email", "ana@example.com"),
        slot("order_id", "#22222"),
        slot("email", None),
        slot("company_name", "Northwind Home"),
    ]

    entities = packet_for(events, meter).entities

    assert entities == {
        "order_id": "22222",
        "amount": "$49.99",
        "product": None,
        "email": None,
        "waited": None,
    }


def test_an_unanswered_proposal_has_no_answer(meter):
    events = [user("complain_damaged_item", "it's broken"), bot("propose_only_fix", PROPOSAL)]

    assert packet_for(events, meter).fixes_proposed == [ProposedFix(PROPOSAL, None, None)]


def test_the_fair_ask_comes_from_the_answer_when_none_is_passed(meter):
    packet = packet_for(complaint_events(), meter, customer_ask=None)

    assert packet.fair_ask == FAIR_ASK


def test_the_passed_customer_ask_wins(meter):
    packet = packet_for(complaint_events(), meter, customer_ask="refund $120")

    assert packet.fair_ask == "refund $120"


def test_the_answer_to_a_clarifying_question_is_the_fair_ask(meter):
    events = [
        bot("ask_what_would_be_fair", "What would make this right for you?"),
        user("inform", "dunno, something"),
        bot("clarify_fair_ask", "Could you tell me what would feel fair, for example: …?"),
        user("inform", "a voucher for next time"),
    ]

    assert packet_for(events, meter).fair_ask == "a voucher for next time"


def test_no_fair_ask(meter):
    events = [user("request_human", "person please")]

    packet = packet_for(events, meter, trigger="customer_request", categories=[])

    assert packet.fair_ask is None
    assert packet.category is None
    assert packet.summary == "Unspecified issue — asked for a person"


# --- the summary -----------------------------------------------------------------------


def test_the_summary_names_every_category_and_the_trigger_without_a_fair_ask(meter):
    events = [slot("order_id", "ORD-777")]  # the ORD- prefix is dropped, as a "#" is

    packet = packet_for(
        events, meter, trigger="frustration_rising", categories=["late_delivery", "damaged_item"]
    )

    assert packet.summary == "Late delivery + damaged item, order 777 — frustration rising"


def test_an_unknown_category_and_trigger_are_still_readable(meter):
    packet = packet_for([], meter, trigger="something_new", categories=["lost_parcel"])

    assert packet.summary == "Lost parcel — something new"


def test_a_long_summary_is_cut_to_fit_the_queue_list(meter):
    long_ask = "refund the whole order and " + "also send flowers " * 20

    packet = packet_for(complaint_events(), meter, customer_ask=long_ask)

    assert len(packet.summary) <= SUMMARY_MAX_CHARS
    assert packet.summary.startswith("Late delivery, order 12345 — asks: refund the whole order")
    assert packet.summary.endswith("…")


# --- JSON ------------------------------------------------------------------------------


def test_json_round_trip(meter):
    packet = packet_for(complaint_events(), meter, customer_ask=FAIR_ASK)

    data = json.loads(json.dumps(packet.to_json()))

    assert HandoffPacket.from_json(data) == packet
    assert HandoffPacket.from_json(data).to_json() == packet.to_json()
    assert data["version"] == PACKET_VERSION
    assert data["fixes_proposed"] == [
        {"text": PROPOSAL, "answer": REFUSAL, "answer_intent": "deny"}
    ]
    assert data["earlier_conversations"][0]["outcome"] == "resolved"


def test_another_version_is_refused(meter):
    data = packet_for(complaint_events(), meter).to_json()
    data["version"] = 3

    with pytest.raises(ValueError, match="version 3"):
        HandoffPacket.from_json(data)


@pytest.mark.parametrize("answer", ["affirm", "deny", "inform"])
def test_built_packets_match_the_schema(meter, answer):
    validate(packet_for(complaint_events(answer), meter, customer_ask=FAIR_ASK).to_json())


def test_a_bare_packet_matches_the_schema(meter):
    packet = build_packet(
        session_id="s-1",
        customer_key="visitor:s-1",
        events=[],
        transcript=[],
        trigger="customer_request",
        reason="the customer asked for a person",
        customer_ask=None,
        categories=[],
        category_names={},
        earlier=[],
        meter=meter,
        routed_to=None,
    )

    data = packet.to_json()

    validate(data)
    assert data["routed_to"] is None
    assert data["frustration"] == {"scores": [], "direction": "steady", "latest": 0.0, "peak": 0.0}
    assert datetime.fromisoformat(data["created_at"].replace("Z", "+00:00")).tzinfo is not None


def test_the_schema_rejects_a_broken_packet(meter):
    data = packet_for(complaint_events(), meter).to_json()
    data["complaint"]["confirmed"] = "yes"
    del data["summary"]

    with pytest.raises(jsonschema.ValidationError):
        validate(data)


def test_non_ascii_text_survives_the_round_trip(meter):
    complaint = "Mein Mixer (Bestellung 4711) ist kaputt 😡 — ça ne marche pas, 请退款"
    ask = "Rückerstattung für alles, s'il vous plaît 🙏"
    events = [
        user("complain_damaged_item", complaint),
        slot("order_id", "4711"),
        slot("product", "Küchenmaschine"),
        bot("ask_what_would_be_fair", "What would make this right for you?"),
        user("propose_resolution", ask),
    ]
    packet = packet_for(events, meter, categories=["damaged_item"])

    wire = json.dumps(packet.to_json(), ensure_ascii=False).encode("utf-8")
    back = HandoffPacket.from_json(json.loads(wire.decode("utf-8")))

    assert back == packet
    assert back.transcript[0]["text"] == complaint
    assert back.fair_ask == ask
    assert back.entities["product"] == "Küchenmaschine"
    assert back.summary == f"Damaged item, order 4711 — asks: {ask}"
    validate(back.to_json())


# --- what agents read ------------------------------------------------------------------

SESSION_ID = "A" * 22 + "." + "B" * 22
EARLIER_SESSION_ID = "C" * 22 + "." + "D" * 22


def test_the_packet_never_carries_the_session_id(meter):
    packet = build_packet(
        session_id=SESSION_ID,
        customer_key=f"visitor:{SESSION_ID}",  # as keys were written before chat ids
        events=complaint_events(),
        transcript=[],
        trigger="customer_request",
        reason="the customer asked for a person",
        customer_ask=None,
        categories=[],
        category_names={},
        earlier=[],
        meter=meter,
        routed_to=None,
    )

    data = json.dumps(packet.to_json())

    assert SESSION_ID not in data
    assert packet.chat_id == chat_id(SESSION_ID)
    assert packet.customer_key == f"visitor:{chat_id(SESSION_ID)}"


def test_a_packet_stored_before_chat_ids_reaches_agents_without_session_ids(meter):
    stored = packet_for(complaint_events(), meter).to_json()
    del stored["chat_id"]
    stored |= {
        "version": 1,
        "session_id": SESSION_ID,
        "customer_key": f"visitor:{SESSION_ID}",
        "earlier_conversations": [
            {"session_id": EARLIER_SESSION_ID, "started_at": "2026-10-02T09:12:00.000Z",
             "outcome": "resolved", "summary": None},
        ],
    }  # fmt: skip

    shown = packet_for_agents(stored)

    assert SESSION_ID not in json.dumps(shown)
    assert EARLIER_SESSION_ID not in json.dumps(shown)
    assert shown["chat_id"] == chat_id(SESSION_ID)
    assert shown["earlier_conversations"][0]["chat_id"] == chat_id(EARLIER_SESSION_ID)
    validate(shown)


def test_a_current_packet_reaches_agents_as_stored(meter):
    stored = packet_for(complaint_events(), meter).to_json()

    assert packet_for_agents(stored) == stored
