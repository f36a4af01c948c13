"""The contract: the running gateway against the JSON schemas in docs/protocol.md.

The schemas are read straight from the document, so the document cannot drift
from the server without this test failing: every event the server sends in a
session that exercises all of them must match its schema, and client payloads
are accepted or refused alike by the schemas and by the server.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT
from tests.e2e.visitor import SERVER_EVENTS, Visitor

pytestmark = pytest.mark.stack

PROTOCOL = ROOT / "docs" / "protocol.md"
SERVER_SCHEMA_NAMES = {"typing": "typing_to_visitor"}
CLIENT_SCHEMA_NAMES = {"typing": "typing_from_visitor"}


def protocol_schemas() -> dict[str, dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)\n```", PROTOCOL.read_text(), flags=re.DOTALL)
    # The events' schemas (draft 7); the handoff packet's (draft 2020-12) is checked by
    # tests/unit/test_protocol_packet.py.
    schemas = [
        schema for schema in (json.loads(block) for block in blocks) if "$schema" not in schema
    ]
    for schema in schemas:
        jsonschema.Draft7Validator.check_schema(schema)
    return {schema["title"]: schema for schema in schemas}


def assert_matches(event: str, data: Any, names: dict[str, str]) -> None:
    schema = protocol_schemas()[names.get(event, event)]
    jsonschema.validate(data, schema)
    if isinstance(data, dict) and "at" in data:  # date-time, which jsonschema leaves unchecked
        datetime.fromisoformat(data["at"].replace("Z", "+00:00"))


def test_every_event_of_the_protocol_has_a_schema():
    titles = set(protocol_schemas())
    server = {SERVER_SCHEMA_NAMES.get(event, event) for event in SERVER_EVENTS}
    client = {"session_request", "user_uttered", "typing_from_visitor", "history_request",
              "rating", "end_chat"}  # fmt: skip
    assert titles == server | client


async def test_every_event_the_server_sends_matches_its_schema(stack, visitors):
    url = stack.config.gateway_urls[0]
    visitor = Visitor(url)
    visitors.append(visitor)
    await visitor.connect(user={"id": "cust-1", "hash": "0" * 64})  # error: identity_rejected
    await visitor.say("my order 48213 never arrived")  # ack, echo, typing, bot_uttered
    await visitor.history(limit=5)
    await visitor.client.emit("rating", {"score": 5, "comment": "thanks"})
    await visitor.next_event("rating_saved")
    await visitor.say("x" * 5000)  # error: message_too_long
    for number in range(visitor.state["limits"]["rate_limit"]["messages"]):
        await visitor.send({"message": f"burst {number}", "client_message_id": f"b{number}"})
    await visitor.next_event("slow_down", timeout=30)
    await visitor.client.emit("end_chat", {})
    await visitor.next_event("handoff")

    legacy = Visitor(url, protocol=False)  # Rasa's clients: notices without seq
    visitors.append(legacy)
    await legacy.connect()
    await legacy.say("")

    waiting = Visitor(url)  # handoff queued, and the queue updates that follow
    visitors.append(waiting)
    await waiting.connect()
    await waiting.say("I want to talk to a person")
    if not any(event == "queue_update" for event, _ in waiting.received):
        await waiting.next_event("queue_update", timeout=15)

    received = visitor.received + legacy.received + waiting.received
    for event, data in received:
        assert_matches(event, data, SERVER_SCHEMA_NAMES)
    assert {event for event, _ in received} == set(SERVER_EVENTS)
    # Protocol-1 clients always learn who spoke; Rasa's clients get Rasa's fields only.
    for event, data in visitor.received + waiting.received:
        assert event != "bot_uttered" or "sender" in data, data
    legacy_messages = [data for event, data in legacy.received if event == "bot_uttered"]
    assert legacy_messages and all(set(data) == {"text"} for data in legacy_messages)


VALID_CLIENT_PAYLOADS = [
    ("user_uttered", {"message": "hello"}),
    ("user_uttered", {"message": "hi", "client_message_id": "c-1", "metadata": {"page": "/"}}),
    ("user_uttered", {"message": "hi", "customData": {"language": "en"}}),
    ("typing", {"typing": True}),
    ("history_request", {}),
    ("history_request", {"before_seq": 3, "limit": 10}),
    ("rating", {"score": 5}),
    ("rating", {"score": 1, "comment": "slow"}),
]
INVALID_CLIENT_PAYLOADS = [
    ("user_uttered", {}),
    ("user_uttered", {"message": 5}),
    ("user_uttered", {"message": "hi", "client_message_id": ""}),
    ("user_uttered", {"message": "hi", "client_message_id": "x" * 65}),
    ("typing", {}),
    ("typing", {"typing": 1}),
    ("history_request", {"limit": 0}),
    ("history_request", {"before_seq": 0}),
    ("rating", {"score": 0}),
    ("rating", {"score": "5"}),
    ("rating", {"score": 3, "comment": "x" * 2001}),
    ("session_request", {"last_seq": -1}),
    ("session_request", {"user": {"id": "x"}}),
    ("session_request", {"session_id": 42}),
]


@pytest.mark.parametrize(("event", "payload"), VALID_CLIENT_PAYLOADS)
async def test_payloads_the_schema_accepts_the_server_accepts(visitor, event, payload):
    assert_matches(event, payload, CLIENT_SCHEMA_NAMES)
    await visitor.client.emit(event, payload)
    await visitor.history(limit=1)  # answered after the event above (one socket, in order)
    errors = [data for name, data in visitor.received if name == "error"]
    assert errors == []


@pytest.mark.parametrize(("event", "payload"), INVALID_CLIENT_PAYLOADS)
async def test_payloads_the_schema_refuses_the_server_refuses(visitor, event, payload):
    with pytest.raises(jsonschema.ValidationError):
        assert_matches(event, payload, CLIENT_SCHEMA_NAMES)
    await visitor.client.emit(event, payload)
    assert (await visitor.next_event("error"))["error"] == "invalid_payload"
