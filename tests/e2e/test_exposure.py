"""What the running stack exposes: loopback only, Rasa's API only with the token, Rasa's
gateway channel only with the shared secret."""

from __future__ import annotations

import secrets

import aiohttp
import psutil
import pytest

from bot.gateway.rasa_client import WEBHOOK_PATH
from tests.e2e.visitor import user_events

pytestmark = pytest.mark.stack


def test_every_server_listens_on_loopback_only(stack):
    ports = {
        stack.config.rasa_port,
        stack.config.action_port,
        stack.config.embedded_redis_port,
        *stack.config.gateway_ports,
    }
    listening = [
        connection
        for connection in psutil.net_connections("tcp")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port in ports
    ]
    assert {connection.laddr.port for connection in listening} == ports
    assert {connection.laddr.ip for connection in listening} == {"127.0.0.1"}


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_rasas_http_api_refuses_calls_without_the_token(stack, visitor, token):
    params = {"token": token} if token else {}
    url = f"{stack.config.rasa_url}/conversations/{visitor.session_id}/tracker"
    async with aiohttp.ClientSession() as session, session.get(url, params=params) as reply:
        assert reply.status in (401, 403)


@pytest.mark.parametrize(
    "secret", [None, "Bearer wrong-secret-0123456789", "Basic abc", "Bearer caf\u00e9-0123456789"]
)
async def test_rasas_gateway_channel_refuses_calls_without_the_shared_secret(stack, secret):
    headers = {"Authorization": secret} if secret else {}
    body = {"sender_id": "intruder", "message_id": "intruder:1", "text": "hello"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{stack.config.rasa_url}{WEBHOOK_PATH}", json=body, headers=headers) as reply,
    ):
        assert reply.status == 401


async def test_rasa_handles_a_gateway_message_id_once_and_answers_a_retry_from_its_store(
    stack, rasa_api
):
    body = {"sender_id": f"retry-{secrets.token_hex(4)}", "message_id": secrets.token_hex(8),
            "text": "my order 48213 never arrived", "metadata": {}}  # fmt: skip
    headers = {"Authorization": f"Bearer {stack.config.channel_secret}"}
    answers = []
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(2):
            async with session.post(f"{stack.config.rasa_url}{WEBHOOK_PATH}", json=body) as reply:
                assert reply.status == 200
                answers.append(await reply.json())
    assert answers[0] == answers[1] and answers[0]["status"] == "done"
    assert len(answers[0]["replies"]) == 2
    tracker = await rasa_api.tracker(body["sender_id"])
    assert [event["text"] for event in user_events(tracker)] == [body["text"]]
