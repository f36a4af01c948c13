"""actions/handoff.py with agents online: the customer is passed to a named person, routing
says why, and the packet is waiting for them. Agents come from agents.demo.yml (maria: billing,
refund; tom: deliveries and items; priya: accounts and service)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from actions.handoff import ActionHandOff
from actions.resolution import ActionEvaluateFairAsk
from bot import redis_keys
from bot.agents.avatars import avatar_id
from bot.agents.demo import DEMO_AGENTS_FILE
from bot.agents.presence import Presence
from bot.agents.roster import AgentProfile, load_roster
from bot.case_records import CaseRecords
from bot.chat_ids import chat_id
from bot.handoff import announcements
from bot.handoff.packet import PACKET_SCHEMA, PACKET_VERSION
from bot.handoff.queue import DEFAULT_WAIT_PER_CHAT_SECONDS, HandoffQueue
from bot.ownership import QUEUED, owner_of
from tests.unit.builders import entity, make_tracker

PAUSE = {"event": "pause", "timestamp": None}
ROSTER = load_roster(DEMO_AGENTS_FILE)

pytestmark = pytest.mark.usefixtures("during_business_hours")


def agent(agent_id: str) -> AgentProfile:
    profile = ROSTER.get(agent_id)
    assert profile is not None, f"{agent_id} is not in agents.demo.yml"
    return profile


@pytest.fixture(autouse=True)
def the_repositorys_roster(monkeypatch):
    """The action reads the roster from $AGENTS_FILE, agents.demo.yml in demo mode, or
    agents.yml: use the demo roster."""
    monkeypatch.delenv("AGENTS_FILE", raising=False)
    monkeypatch.setenv("DEMO_MODE", "1")


def complaint(category: str, order_id: str | None = None):
    """A customer with an open complaint in ``category`` asking for a person."""
    return make_tracker(
        "request_human",
        "I want to talk to a person",
        slots={"complaint_open": True, "complaint_categories": [category], "order_id": order_id},
        sender_id="visitor-21",
        # The packet reads the details from the tracker's slot events, as Rasa sends them.
        earlier_events=[{"event": "slot", "name": "order_id", "value": order_id}],
    )


def handoff_state(dispatcher) -> dict[str, Any]:
    [state] = [
        message["custom"]["handoff"]
        for message in dispatcher.messages
        if "handoff" in (message.get("custom") or {})
    ]
    return state


async def test_a_billing_complaint_goes_to_maria_who_looks_after_billing(
    dispatcher, domain, redis_client, client
):
    await Presence(client).heartbeat("maria")
    events = await ActionHandOff().run(dispatcher, complaint("billing", "#48213"), domain)

    announcement, _ = dispatcher.messages
    maria = agent("maria")
    assert announcement["text"] == announcements.passing_to(maria, "skill")
    assert "Maria from our billing team" in announcement["text"]
    assert "won't have to repeat" in announcement["text"]
    assert announcement["phrase"] == "handoff_passing"
    assert announcement["buttons"] == []
    wait = int(DEFAULT_WAIT_PER_CHAT_SECONDS)
    assert handoff_state(dispatcher) == {
        "state": "queued",
        "position": 1,
        "wait_seconds": wait,
        "agent": {
            "id": avatar_id(maria),
            "name": "Maria",
            "team": "billing",
            "avatar_url": f"/console/avatars/{avatar_id(maria)}.svg",
        },
    }
    assert events[-1] == PAUSE

    queue = HandoffQueue(redis_client)
    assert await owner_of(redis_client, "visitor-21") == QUEUED
    assert await queue.session_ids() == ["visitor-21"]
    stored = await queue.handoff("visitor-21")
    assert (stored["routed_to"], stored["routing_reason"]) == ("maria", "skill")
    packet = await queue.packet("visitor-21")
    assert packet is not None
    jsonschema.validate(packet, PACKET_SCHEMA)
    assert packet["version"] == PACKET_VERSION == 2
    assert packet["trigger"] == "customer_request"
    assert packet["category"] == "billing"
    assert packet["chat_id"] == chat_id("visitor-21")
    assert packet["entities"]["order_id"] == "48213"
    assert packet["routed_to"]["id"] == "maria"
    assert "password_hash" not in packet["routed_to"]
    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "customer_request"


@pytest.mark.parametrize(
    ("category", "agent_id"),
    [("refund", "maria"), ("damaged_item", "tom"), ("account_access", "priya")],
)
async def test_each_complaint_goes_to_the_agent_with_its_skill(
    category, agent_id, dispatcher, domain, redis_client, client
):
    for online in ("maria", "tom", "priya"):
        await Presence(client).heartbeat(online)

    await ActionHandOff().run(dispatcher, complaint(category), domain)

    assert dispatcher.messages[0]["text"] == announcements.passing_to(agent(agent_id), "skill")
    assert handoff_state(dispatcher)["agent"]["id"] == avatar_id(agent(agent_id))
    assert (await HandoffQueue(redis_client).handoff("visitor-21"))["routed_to"] == agent_id


async def test_the_agent_who_helped_before_wins_over_skills(
    dispatcher, domain, redis_client, client
):
    await Presence(client).heartbeat("maria")
    await Presence(client).heartbeat("tom")
    await redis_client.set(redis_keys.customer_last_agent_key("visitor-21"), "tom")

    await ActionHandOff().run(dispatcher, complaint("billing"), domain)

    text = dispatcher.messages[0]["text"]
    assert text == announcements.passing_to(agent("tom"), "helped_before")
    assert "Tom from our delivery team, who helped you last time" in text
    assert handoff_state(dispatcher)["agent"]["id"] == avatar_id(agent("tom"))
    stored = await HandoffQueue(redis_client).handoff("visitor-21")
    assert (stored["routed_to"], stored["routing_reason"]) == ("tom", "helped_before")
    packet = await HandoffQueue(redis_client).packet("visitor-21")
    assert packet is not None
    assert packet["routed_to"]["id"] == "tom"


async def test_the_agent_who_helped_before_is_skipped_when_offline(
    dispatcher, domain, redis_client, client
):
    await Presence(client).heartbeat("maria")
    await redis_client.set(redis_keys.customer_last_agent_key("visitor-21"), "tom")

    await ActionHandOff().run(dispatcher, complaint("billing"), domain)

    assert dispatcher.messages[0]["text"] == announcements.passing_to(agent("maria"), "skill")


async def test_an_agent_who_is_away_is_not_chosen(dispatcher, domain, redis_client, client):
    await Presence(client).set_status("maria", "away")
    await Presence(client).heartbeat("tom")

    await ActionHandOff().run(dispatcher, complaint("billing"), domain)

    text = dispatcher.messages[0]["text"]
    assert text == announcements.passing_to(agent("tom"), "any")
    assert "the first colleague free right now" in text
    assert handoff_state(dispatcher)["agent"]["id"] == avatar_id(agent("tom"))


async def test_an_agent_with_no_room_is_not_chosen(dispatcher, domain, redis_client, client):
    maria = agent("maria")
    await Presence(client).heartbeat("maria")
    await Presence(client).heartbeat("tom")
    await redis_client.sadd(
        redis_keys.agent_chats_key("maria"), *[f"chat-{n}" for n in range(maria.max_chats)]
    )

    await ActionHandOff().run(dispatcher, complaint("billing"), domain)

    assert dispatcher.messages[0]["text"] == announcements.passing_to(agent("tom"), "any")


async def test_away_agents_only_means_nobody_free_and_no_promised_time(
    dispatcher, domain, redis_client, client
):
    await Presence(client).set_status("maria", "away")

    events = await ActionHandOff().run(dispatcher, complaint("billing"), domain)

    announcement = dispatcher.messages[0]
    assert "can't promise a time" in announcement["text"]
    assert len(announcement["buttons"]) == 3
    state = handoff_state(dispatcher)
    assert (state["position"], state["wait_seconds"]) == (1, None)
    assert "agent" not in state
    assert events[-1] == PAUSE
    assert (await HandoffQueue(redis_client).handoff("visitor-21"))["routed_to"] == ""


async def test_a_fair_ask_beyond_authority_is_read_back_and_goes_in_the_packet(
    dispatcher, domain, redis_client, client
):
    await Presence(client).heartbeat("tom")
    tracker = make_tracker(
        "propose_resolution",
        "I want $400 back",
        entities=[entity("amount", "$400")],
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery"],
            "order_id": "48213",
            "dialogue_stage": "fair_ask_requested",
        },
        sender_id="visitor-21",
    )

    events = await ActionEvaluateFairAsk().run(dispatcher, tracker, domain)

    assert dispatcher.messages[0]["text"] == (
        "I've noted that you'd consider it fair if we refund $400. "
        + announcements.passing_to(agent("tom"), "skill")
    )
    assert events[-1] == PAUSE
    packet = await HandoffQueue(redis_client).packet("visitor-21")
    assert packet is not None
    assert packet["trigger"] == "fair_ask_beyond_authority"
    assert packet["fair_ask"] == "refund $400"
    assert "refund $400" in packet["summary"]
    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.customer_ask == "refund $400"
