"""actions/session_start.py: a new session keeps the slots, knows the company's name, and
stays paused while people own the conversation."""

from __future__ import annotations

import pytest

from actions.session_start import ActionSessionStart
from bot import redis_keys
from tests.unit.builders import make_tracker

PAUSE = {"event": "pause", "timestamp": None}


async def test_a_session_start_carries_the_slots_over_and_sets_the_company(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        slots={
            "order_id": "48213",
            "complaint_open": True,
            "complaint_categories": ["billing"],
            "company_name": "Old Name Ltd",
            "product": None,
        }
    )

    events = await ActionSessionStart().run(dispatcher, tracker, domain)

    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    slots = [(event["name"], event["value"]) for event in events if event["event"] == "slot"]
    assert slots == [
        ("order_id", "48213"),
        ("complaint_open", True),
        ("complaint_categories", ["billing"]),
        ("company_name", "Northwind Home"),
    ]
    assert dispatcher.messages == []
    assert PAUSE not in events


async def test_slots_are_not_carried_over_when_the_domain_says_not_to(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(slots={"order_id": "48213"})
    no_carry_over = {**domain, "session_config": {"carry_over_slots_to_new_session": False}}

    events = await ActionSessionStart().run(dispatcher, tracker, no_carry_over)

    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    assert slots == {"company_name": "Northwind Home"}


def test_the_domain_asks_for_slots_to_be_carried_over(domain):
    assert domain["session_config"]["carry_over_slots_to_new_session"] is True


@pytest.mark.parametrize("owner", ["agent:maria", "queued"])
async def test_a_session_started_while_people_own_the_chat_stays_paused(
    owner, dispatcher, domain, redis_client
):
    await redis_client.set(redis_keys.owner_key("visitor-3"), owner)
    tracker = make_tracker(slots={"order_id": "48213"}, sender_id="visitor-3")

    events = await ActionSessionStart().run(dispatcher, tracker, domain)

    kinds = [event["event"] for event in events]
    assert kinds[0] == "session_started"
    # Paused before the bot listens again, so nothing the visitor writes wakes it.
    assert kinds[-2:] == ["pause", "action"]
    assert events[-2] == PAUSE
    assert kinds.count("pause") == 1
    assert {"name": "order_id", "value": "48213"}.items() <= events[1].items()
    assert dispatcher.messages == []


@pytest.mark.parametrize("owner", [None, "bot"], ids=["never handed off", "handed back"])
async def test_a_session_the_bot_owns_is_not_paused(owner, dispatcher, domain, redis_client):
    if owner is not None:
        await redis_client.set(redis_keys.owner_key("visitor-3"), owner)
    # Another conversation being with people does not pause this one.
    await redis_client.set(redis_keys.owner_key("visitor-4"), "agent:maria")

    events = await ActionSessionStart().run(dispatcher, make_tracker(sender_id="visitor-3"), domain)

    assert PAUSE not in events
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
