"""bot/gateway/app.py: closed websockets do not flood the gateway's log with errors."""

from __future__ import annotations

import logging
import sys

from sanic.exceptions import ServerError

from bot.gateway.app import ClosedWebsocketNoise


def record_of(error: Exception, message: str) -> logging.LogRecord:
    try:
        raise error
    except Exception:
        exc_info = sys.exc_info()
    return logging.LogRecord("sanic.error", logging.ERROR, __file__, 1, message, None, exc_info)


def test_the_closed_websocket_error_is_dropped():
    record = record_of(
        ServerError("Invalid response type None (need HTTPResponse)"),
        "Exception occurred while handling uri: 'ws://127.0.0.1:8000/socket.io/?EIO=4'",
    )
    assert ClosedWebsocketNoise().filter(record) is False


def test_other_errors_are_kept():
    noise = ClosedWebsocketNoise()
    assert noise.filter(record_of(ServerError("boom"), "handling uri: '/socket.io/'"))
    assert noise.filter(
        record_of(
            ServerError("Invalid response type None (need HTTPResponse)"),
            "Exception occurred while handling uri: 'http://127.0.0.1:8000/health'",
        )
    )
    assert noise.filter(record_of(ValueError("Invalid response type None"), "/socket.io/"))
    assert noise.filter(logging.LogRecord("sanic.error", logging.ERROR, "", 1, "x", None, None))
