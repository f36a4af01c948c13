"""What the running stack exposes: loopback only, and Rasa's API only with the token."""

from __future__ import annotations

import aiohttp
import psutil
import pytest

pytestmark = pytest.mark.stack


def test_every_server_listens_on_loopback_only(stack):
    ports = {stack.config.rasa_port, stack.config.action_port, stack.config.embedded_redis_port}
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
