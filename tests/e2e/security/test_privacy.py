"""Issue 16, finding 8: no export or erasure of a customer's data, and no roles.

Against the real stack: a verified customer's conversation goes to Maria (a supervisor
in the shipped agents.yml), who takes notes; the customer rates it. An agent who is not
a supervisor is refused both the export and the erasure; the CLI and the supervisor's
API export the transcript, packet, notes, rating and Rasa's tracker; the supervisor's
erasure leaves nothing in Redis that names the conversation or the customer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as redis

from bot.chat_ids import chat_id
from bot.stack import Stack
from tests.cli import run_tool
from tests.e2e.agent import AgentClient
from tests.e2e.conftest import IDENTITY_SECRET
from tests.e2e.handoff_helpers import ask_for_a_person, claimed_by
from tests.e2e.visitor import Visitor
from tests.redis_contents import everything_mentioning

pytestmark = pytest.mark.stack

USER_ID = "cust-8001"


def signed_in(user_id: str) -> dict[str, str]:
    digest = hmac.new(IDENTITY_SECRET.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return {"id": user_id, "hash": digest}


def privacy_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return run_tool("bot.privacy", *args, environment={"REDIS_URL": stack.redis_url or ""})


async def test_only_a_supervisor_exports_and_erases_a_customer(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
    open_visitor: Callable[..., Awaitable[Visitor]],
) -> None:
    client = desk_reset
    maria = await agents("maria")
    tom = await agents("tom")
    visitor = await open_visitor(stack.config.gateway_urls[0], user=signed_in(USER_ID))
    session_id = visitor.session_id
    await ask_for_a_person(visitor)
    await claimed_by(maria, visitor)
    status, _ = await maria.call(
        "POST", f"/api/agent/chats/{chat_id(session_id)}/notes", {"text": "prefers email"}
    )
    assert status == 201
    await visitor.client.emit("rating", {"score": 4, "comment": "quick"})
    await visitor.next_event("rating_saved")
    export_path = f"/api/agent/customers/{USER_ID}/export"
    erase_path = f"/api/agent/customers/user:{USER_ID}/erase"

    # An agent who is not a supervisor: refused, and nothing is touched.
    for method, path in (("GET", export_path), ("POST", erase_path)):
        status, body = await tom.call(method, path)
        assert status == 403, body
        assert body["error"] == "forbidden"
    assert await everything_mentioning(client, session_id)

    # The operator's CLI and the supervisor's API export the same conversation.
    cli = privacy_cli(stack, "export", USER_ID)
    assert cli.returncode == 0, cli.stderr
    status, exported = await maria.call("GET", export_path)
    assert status == 200, exported
    # The operator sees session ids; a supervisor, like every agent, only chat ids.
    for export, shown_id in ((json.loads(cli.stdout), session_id), (exported, chat_id(session_id))):
        assert export["customer"] == f"user:{USER_ID}"
        assert export is not exported or session_id not in json.dumps(exported)
        [conversation] = export["conversations"]
        assert conversation["session_id"] == shown_id
        visitor_texts = [
            e.get("text") for e in conversation["transcript"] if e["kind"] == "visitor"
        ]
        assert "I want to talk to a person" in visitor_texts
        assert conversation["handoff"]["packet"]["entities"]["order_id"] == "61234"
        assert [note["text"] for note in conversation["notes"]] == ["prefers email"]
        assert conversation["rating"]["score"] == "4"
        tracker_texts = [e.get("text") for e in conversation["tracker"]["events"]]
        assert "I want to talk to a person" in tracker_texts
        assert export["handoff_requests"][0]["request"]["session_id"] == shown_id

    # The supervisor erases: nothing left names the conversation or the customer.
    status, erased = await maria.call("POST", erase_path)
    assert status == 200, erased
    assert erased["conversations"] == [chat_id(session_id)]
    assert f"tracker:{chat_id(session_id)}" in erased["deleted_keys"]
    assert session_id not in json.dumps(erased)
    assert await everything_mentioning(client, session_id) == []
    assert await everything_mentioning(client, USER_ID) == []
    status, after = await maria.call("GET", export_path)
    assert status == 200 and after["conversations"] == []


async def test_erasure_needs_the_csrf_token(
    stack: Stack, agents: Callable[..., Awaitable[AgentClient]]
) -> None:
    maria = await agents("maria")

    status, body = await maria.call("POST", f"/api/agent/customers/{USER_ID}/erase", csrf=False)

    assert status == 403 and body["error"] == "csrf"
