"""The gateway's settings, read from the environment once (see README "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bot.gateway.client_ip import TrustedProxies, TrustedProxiesError
from bot.gateway.payloads import MAX_MESSAGE_CHARS
from bot.settings import Settings


class GatewaySettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class RateLimit:
    messages: int
    """How many events (messages, connects, sessions…) the window holds."""
    per_seconds: int


LIMIT_VARIABLES = {
    "connects_per_ip": ("GATEWAY_CONNECT_LIMIT_PER_IP", "30/60"),
    "new_sessions_per_ip": ("GATEWAY_SESSION_LIMIT_PER_IP", "20/60"),
    "new_sessions_per_connection": ("GATEWAY_SESSION_LIMIT_PER_CONNECTION", "3/60"),
    "resumes_per_connection": ("GATEWAY_RESUME_LIMIT_PER_CONNECTION", "10/60"),
    "messages_per_ip": ("GATEWAY_MESSAGE_LIMIT_PER_IP", "60/60"),
    "typing_per_conversation": ("GATEWAY_TYPING_LIMIT", "60/60"),
    "typing_per_ip": ("GATEWAY_TYPING_LIMIT_PER_IP", "240/60"),
    "history_per_conversation": ("GATEWAY_HISTORY_LIMIT", "30/60"),
    "history_per_ip": ("GATEWAY_HISTORY_LIMIT_PER_IP", "120/60"),
    "ratings_per_conversation": ("GATEWAY_RATING_LIMIT", "5/60"),
    "ratings_per_ip": ("GATEWAY_RATING_LIMIT_PER_IP", "30/60"),
}
"""Each visitor door's limit: the variable that sets it and its default (events/seconds)."""

ONE_ADDRESS_LOAD = {variable: "1000000/60" for variable, _ in LIMIT_VARIABLES.values()} | {
    "GATEWAY_HANDOFF_MAX_OPEN_PER_IP": "10000",
    "GATEWAY_HANDOFF_MAX_OPEN_PER_CUSTOMER": "10000",
}
"""For a test stack or a benchmark whose many visitors all come from one address
(127.0.0.1): the per-IP and per-connection limits out of the way. Never for a
deployment. Messages per conversation (``GATEWAY_RATE_LIMIT``) are set apart."""


def _default_limit(name: str) -> RateLimit:
    count, _, seconds = LIMIT_VARIABLES[name][1].partition("/")
    return RateLimit(int(count), int(seconds))


@dataclass(frozen=True)
class VisitorLimits:
    """How much one client IP, one connection and one conversation may ask of the
    gateway (see README "Configuration"); messages per conversation are
    ``GatewaySettings.rate_limit``."""

    connects_per_ip: RateLimit = field(default_factory=lambda: _default_limit("connects_per_ip"))
    new_sessions_per_ip: RateLimit = field(
        default_factory=lambda: _default_limit("new_sessions_per_ip")
    )
    new_sessions_per_connection: RateLimit = field(
        default_factory=lambda: _default_limit("new_sessions_per_connection")
    )
    resumes_per_connection: RateLimit = field(
        default_factory=lambda: _default_limit("resumes_per_connection")
    )
    messages_per_ip: RateLimit = field(default_factory=lambda: _default_limit("messages_per_ip"))
    typing_per_conversation: RateLimit = field(
        default_factory=lambda: _default_limit("typing_per_conversation")
    )
    typing_per_ip: RateLimit = field(default_factory=lambda: _default_limit("typing_per_ip"))
    history_per_conversation: RateLimit = field(
        default_factory=lambda: _default_limit("history_per_conversation")
    )
    history_per_ip: RateLimit = field(default_factory=lambda: _default_limit("history_per_ip"))
    ratings_per_conversation: RateLimit = field(
        default_factory=lambda: _default_limit("ratings_per_conversation")
    )
    ratings_per_ip: RateLimit = field(default_factory=lambda: _default_limit("ratings_per_ip"))
    handoff_open_per_ip: int = 3
    """``GATEWAY_HANDOFF_MAX_OPEN_PER_IP``: requests for a person waiting at once from
    one client IP; more are held back (bot/handoff/flood.py)."""
    handoff_open_per_customer: int = 2
    """``GATEWAY_HANDOFF_MAX_OPEN_PER_CUSTOMER``: the same for one (verified) customer."""
    typing_interval_seconds: float = 0.5
    """``GATEWAY_TYPING_INTERVAL_SECONDS``: a conversation's typing changes are passed to
    the agents at most once per this long (the latest state wins), so alternating
    true/false cannot flood the pub/sub channel every gateway reads."""

    @classmethod
    def from_environment(cls, environ: os._Environ[str]) -> VisitorLimits:
        limits = {
            name: _rate_limit(environ.get(variable, default), variable, "events")
            for name, (variable, default) in LIMIT_VARIABLES.items()
        }
        return cls(
            **limits,
            handoff_open_per_ip=_count(environ, "GATEWAY_HANDOFF_MAX_OPEN_PER_IP", "3"),
            handoff_open_per_customer=_count(environ, "GATEWAY_HANDOFF_MAX_OPEN_PER_CUSTOMER", "2"),
            typing_interval_seconds=_seconds(environ, "GATEWAY_TYPING_INTERVAL_SECONDS", "0.5"),
        )


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
    limits: VisitorLimits = field(default_factory=VisitorLimits)
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)
    """``GATEWAY_TRUSTED_PROXIES``: peers whose ``X-Forwarded-For`` names the client."""

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
            limits=VisitorLimits.from_environment(environ),
            trusted_proxies=_trusted_proxies(environ),
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


def _rate_limit(value: str, name: str = "GATEWAY_RATE_LIMIT", what: str = "messages") -> RateLimit:
    count, slash, seconds = value.partition("/")
    try:
        limit = RateLimit(int(count), int(seconds))
    except ValueError:
        limit = None
    if not slash or limit is None or limit.messages < 1 or limit.per_seconds < 1:
        example = "12/20" if name == "GATEWAY_RATE_LIMIT" else "20/60"
        raise GatewaySettingsError(f"{name}={value!r} must look like {example} ({what}/seconds)")
    return limit


def _trusted_proxies(environ: os._Environ[str]) -> TrustedProxies:
    try:
        return TrustedProxies.parse(environ.get("GATEWAY_TRUSTED_PROXIES", ""))
    except TrustedProxiesError as error:
        raise GatewaySettingsError(str(error)) from None
