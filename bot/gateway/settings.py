"""The gateway's settings, read from the environment once (see README "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.gateway.payloads import MAX_MESSAGE_CHARS
from bot.settings import Settings


class GatewaySettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class RateLimit:
    messages: int
    per_seconds: int


@dataclass(frozen=True)
class GatewaySettings:
    host: str
    port: int
    redis_url: str
    rasa_url: str
    """Where Rasa listens; the gateway posts to ``<rasa_url>/webhooks/gateway/webhook``."""
    channel_secret: str
    """``GATEWAY_CHANNEL_SECRET``: shared with Rasa's gateway channel."""
    session_secret: str
    """``GATEWAY_SESSION_SECRET``: signs session ids; every gateway needs the same one."""
    identity_secret: str
    """``GATEWAY_IDENTITY_SECRET``: verifies the host page's user ids (empty: off)."""
    allowed_origins: tuple[str, ...]
    rate_limit: RateLimit
    max_message_chars: int = MAX_MESSAGE_CHARS
    slow_notice_seconds: float = 4.0
    """After this long without Rasa's answer the visitor is told we are still here."""
    rasa_timeout_seconds: float = 30.0
    rasa_max_in_flight: int = 8
    """Messages this gateway has with Rasa at once; more wait their turn, in order."""

    @classmethod
    def from_environment(cls) -> GatewaySettings:
        environ = os.environ
        origins = tuple(
            origin.strip().rstrip("/")
            for origin in environ.get("GATEWAY_ALLOWED_ORIGINS", "").split(",")
            if origin.strip()
        )
        return cls(
            host=environ.get("GATEWAY_HOST", "127.0.0.1"),
            port=_integer(environ, "GATEWAY_PORT", "8000"),
            redis_url=Settings.from_environment().redis_url,
            rasa_url=environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            channel_secret=_secret(environ, "GATEWAY_CHANNEL_SECRET"),
            session_secret=_secret(environ, "GATEWAY_SESSION_SECRET"),
            identity_secret=environ.get("GATEWAY_IDENTITY_SECRET", ""),
            allowed_origins=origins,
            rate_limit=_rate_limit(environ.get("GATEWAY_RATE_LIMIT", "12/20")),
            slow_notice_seconds=_seconds(environ, "GATEWAY_SLOW_NOTICE_SECONDS", "4"),
            rasa_timeout_seconds=_seconds(environ, "GATEWAY_RASA_TIMEOUT_SECONDS", "30"),
            rasa_max_in_flight=_count(environ, "GATEWAY_RASA_MAX_IN_FLIGHT", "8"),
        )


def _integer(environ: os._Environ[str], name: str, default: str) -> int:
    value = environ.get(name, default)
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 < number < 65536:
        raise GatewaySettingsError(f"{name}={value!r} must be a port number (1-65535)")
    return number


def _count(environ: os._Environ[str], name: str, default: str) -> int:
    value = environ.get(name, default)
    if not value.isdigit() or not 1 <= int(value) <= 10_000:
        raise GatewaySettingsError(f"{name}={value!r} must be a whole number from 1 to 10000")
    return int(value)


def _seconds(environ: os._Environ[str], name: str, default: str) -> float:
    value = environ.get(name, default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < 3600:  # also false for nan
        raise GatewaySettingsError(f"{name}={value!r} must be a number of seconds above 0")
    return seconds


def _secret(environ: os._Environ[str], name: str) -> str:
    value = environ.get(name, "")
    if len(value) < 16:
        raise GatewaySettingsError(f"{name} must be set to at least 16 characters")
    return value


def _rate_limit(value: str) -> RateLimit:
    messages, slash, seconds = value.partition("/")
    try:
        limit = RateLimit(int(messages), int(seconds))
    except ValueError:
        limit = None
    if not slash or limit is None or limit.messages < 1 or limit.per_seconds < 1:
        raise GatewaySettingsError(
            f"GATEWAY_RATE_LIMIT={value!r} must look like 12/20 (messages/seconds)"
        )
    return limit
