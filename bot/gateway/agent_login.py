"""Checking an agent's login: who is asking (client address or known device), whether
they must wait first (bot/agents/login_guard.py), then the password.

The attempt is counted before the bcrypt check, in the same Lua script as the check
of its wait, so parallel guesses cannot pass together; a right password gives the
count back. Answers never say whether the id exists: an unknown id costs one bcrypt
check and a failure like any wrong password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.agents.demo import is_demo_password
from bot.agents.login_guard import LoginGuard, keyed_agent_id
from bot.agents.roster import AgentProfile, Roster, check_password_async, normalize_agent_id
from bot.gateway.agent_requests import ApiError
from bot.gateway.client_ip import TrustedProxies, limit_subject, request_client_ip
from bot.gateway.known_device import KnownDevices

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentLogin:
    """What a login is checked with (made once when the gateway starts)."""

    guard: LoginGuard
    devices: KnownDevices
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)
    demo_mode: bool = False
    """Outside demo mode a published demo password is refused even when it is right."""

    async def check(
        self, request: Request, roster: Roster, raw_id: str, password: str
    ) -> tuple[AgentProfile, str | None]:
        """The agent whose password this is, and the request's known device (if any);
        ``ApiError`` 429 (wait) or 401 (wrong id or password) otherwise."""
        agent_id = normalize_agent_id(raw_id)
        device = self.devices.request_device(request, agent_id)
        source = limit_subject(request_client_ip(request, self.trusted_proxies))
        attempt = await self.guard.attempt(raw_id, source, device)
        if not attempt.allowed:
            raise self.throttled(raw_id, source, attempt.retry_after)
        agent = roster.get(agent_id)
        if not await check_password_async(agent, password) or agent is None:
            logger.info(
                "agent_api.login_failed agent=%s source=%s known_device=%s",
                keyed_agent_id(raw_id), source, device is not None,
            )  # fmt: skip
            raise ApiError(401, "invalid_credentials", "wrong agent id or password")
        await self.guard.succeeded(attempt)
        if not self.demo_mode and is_demo_password(password):
            logger.warning("agent_api.login_demo_password agent=%s", agent.agent_id)
            raise ApiError(
                403,
                "demo_password",
                "this is a published demo password: an administrator must set a real one "
                "(python -m bot.agents set-password ID)",
            )
        return agent, device

    def remember_device(
        self, response: HTTPResponse, request: Request, agent_id: str, device: str | None
    ) -> None:
        self.devices.remember(response, request, agent_id, device)

    @staticmethod
    def throttled(raw_id: str, source: str, seconds: int) -> ApiError:
        logger.warning(
            "agent_api.login_throttled agent=%s source=%s seconds=%d",
            keyed_agent_id(raw_id), source, seconds,
        )  # fmt: skip
        return ApiError(
            429,
            "throttled",
            f"too many failed logins: wait {seconds} s before trying again",
            extra={"retry_after_seconds": seconds},
            headers={"Retry-After": str(seconds)},
        )
