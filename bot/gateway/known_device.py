"""The known-device cookie: a browser an agent has logged in from before.

After a successful login the gateway sets ``agent_device`` = ``v1~<agent id>~<device
id>~<signature>`` (``~`` is in no agent id nor in base64url), signed with HMAC-SHA256
under a key derived from ``GATEWAY_SESSION_SECRET``, so every gateway accepts it and
nobody else can make one.

It is no credential: it lets no one in. It only tells the login guard to count this
browser's attempts on their own instead of with its network's and the agent id's
(bot/agents/login_guard.py), so a stranger guessing an agent's password from elsewhere,
or from the same office network, cannot slow the agent down at their usual console.

One cookie per browser: on a console shared by several agents the last one to log in
has it. HttpOnly, SameSite=Strict, only sent to /api/agent, kept for
``KNOWN_DEVICE_DAYS`` days.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.gateway.agent_auth import request_is_https

COOKIE_NAME = "agent_device"
COOKIE_PATH = "/api/agent"
KNOWN_DEVICE_DAYS = 90
VERSION = "v1"
_DEVICE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


class KnownDevices:
    """Signs and checks known-device cookies with a key only the gateways have."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the known-device secret must be at least 16 bytes")
        self._key = hmac.new(secret, b"agent-known-device-v1", hashlib.sha256).digest()

    @classmethod
    def from_session_secret(cls, session_secret: str) -> KnownDevices:
        return cls(session_secret.encode("utf-8"))

    def _signature(self, agent_id: str, device_id: str) -> str:
        message = f"{VERSION}~{agent_id}~{device_id}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, agent_id: str, device_id: str | None = None) -> str:
        """A cookie value for ``agent_id`` (a new device id unless one is given)."""
        device = device_id or _b64(secrets.token_bytes(16))
        return f"{VERSION}~{agent_id}~{device}~{self._signature(agent_id, device)}"

    def device_of(self, value: str | None, agent_id: str) -> str | None:
        """The device id of a valid cookie for exactly ``agent_id``, else None."""
        if not value or len(value) > 200:
            return None
        parts = value.split("~")
        if len(parts) != 4 or parts[0] != VERSION or parts[1] != agent_id:
            return None
        device, signature = parts[2], parts[3]
        if not _DEVICE_PATTERN.match(device):
            return None
        expected = self._signature(agent_id, device)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        return device

    def request_device(self, request: Request, agent_id: str) -> str | None:
        """The device id of the request's known-device cookie for ``agent_id``."""
        return self.device_of(_cookie_value(request), agent_id)

    def remember(
        self, response: HTTPResponse, request: Request, agent_id: str, device_id: str | None
    ) -> None:
        """Set (or renew) the known-device cookie after a successful login."""
        response.cookies[COOKIE_NAME] = self.issue(agent_id, device_id)
        cookie = response.cookies[COOKIE_NAME]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = COOKIE_PATH
        cookie["max-age"] = KNOWN_DEVICE_DAYS * 24 * 3600
        if request_is_https(request):
            cookie["secure"] = True


def _cookie_value(request: Request) -> str | None:
    """The cookie's value from the raw header (see agent_auth on why not SimpleCookie)."""
    for header in request.headers.getall("cookie", []):
        for part in header.split(";"):
            name, equals, value = part.strip().partition("=")
            if equals and name.strip() == COOKIE_NAME:
                return value.strip().strip('"')
    return None
