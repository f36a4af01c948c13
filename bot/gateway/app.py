"""The gateway's Sanic application: socket.io at /socket.io and GET /health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

import redis.asyncio as redis
from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge, ServerError
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import redis_keys
from bot.agents.avatars import names_by_avatar_id
from bot.agents.demo import demo_mode
from bot.agents.login_guard import LoginGuard, LoginLimits
from bot.agents.presence import Presence, presence_times_from_environment
from bot.agents.roster import RosterCache, roster_file_path
from bot.business import business_file_path
from bot.business_hours import BusinessHoursCache
from bot.console.canned_replies import CannedRepliesFile, canned_replies_path
from bot.console.pages import create_console_pages
from bot.gateway.agent_api import AgentApiServices, create_agent_api
from bot.gateway.agent_auth import AgentSessions
from bot.gateway.agent_login import AgentLogin
from bot.gateway.agent_socket import AgentSocketHandlers, AgentSocketServices
from bot.gateway.delivery import ConversationFanout
from bot.gateway.forwarder import BotForwarder
from bot.gateway.known_device import KnownDevices
from bot.gateway.openapi import create_openapi_blueprint
from bot.gateway.rasa_client import RasaChannelClient
from bot.gateway.rate_limit import ConversationRateLimit
from bot.gateway.sessions import SessionSigner, SessionStore
from bot.gateway.settings import GatewaySettings
from bot.gateway.socket_server import GatewaySocketServer
from bot.gateway.visitor_limits import VisitorDoors
from bot.gateway.visitor_socket import GatewayServices, VisitorSocketHandlers
from bot.gateway.web_assets import create_web_assets
from bot.handoff.desk import HandoffDesk
from bot.handoff.flood import FloodCaps
from bot.handoff.reservation import reservation_seconds_from_environment
from bot.retention import RetentionPolicy
from bot.retention_sweeper import RetentionSweeper
from bot.transcript import Transcript

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 256 * 1024
MAX_FRAME_BYTES = 64 * 1024
"""A socket.io frame larger than this closes the connection (messages are refused far
below it, at ``max_message_chars``, with an error event)."""


class ClosedWebsocketNoise(logging.Filter):
    """Drops Sanic 21.12's "Invalid response type None" error for every closed engine.io
    websocket (python-engineio's Sanic driver returns no response once the socket has
    closed); any other error is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(error, ServerError)
            and "Invalid response type None" in str(error)
            and "/socket.io/" in record.getMessage()
        )


def socket_origins(settings: GatewaySettings) -> list[str] | None:
    """The pages allowed to open sockets: the configured origins plus the gateway's own
    pages (the demo shop, the console); ``None`` (same origin only) when none are set.
    Never an empty list: that would switch python-engineio's check off."""
    if not settings.allowed_origins:
        return None
    own = [f"http://{host}:{settings.port}" for host in ("127.0.0.1", "localhost")]
    return list(dict.fromkeys([*settings.allowed_origins, *own]))


async def payload_too_large(_request: Request, error: Exception) -> HTTPResponse:
    """A body over ``MAX_REQUEST_BYTES`` or a request line or headers over Sanic's 8 KB,
    refused before any route: answered in the agent API's error shape like every other
    refusal (``error`` and ``detail``), not Sanic's own."""
    return response.json({"error": "payload_too_large", "detail": str(error)}, status=413)


def create_app(settings: GatewaySettings, retention: RetentionPolicy | None = None) -> Sanic:
    """The gateway; ``retention`` (default: from the environment) drives its sweeper."""
    retention = retention or RetentionPolicy.from_environment()
    app = Sanic("gateway", configure_logging=False)
    # JSON calls and socket.io frames are small; refuse big bodies before reading them.
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.error_handler.add(PayloadTooLarge, payload_too_large)
    logging.getLogger("sanic.error").addFilter(ClosedWebsocketNoise())
    sio = GatewaySocketServer(
        async_mode="sanic",
        cors_allowed_origins=socket_origins(settings),
        max_http_buffer_size=MAX_FRAME_BYTES,
    )
    sio.attach(app, socketio_path="socket.io")
    handlers = VisitorSocketHandlers(sio, settings)
    handlers.register()
    agent_handlers = AgentSocketHandlers(sio)
    agent_handlers.register()
    app.blueprint(create_agent_api(lambda: app.ctx.agent_api))
    app.blueprint(create_openapi_blueprint())

    def agent_names() -> dict[str, str]:
        return names_by_avatar_id(app.ctx.agent_api.desk.roster().agents.values())

    app.blueprint(create_web_assets(agent_names))
    app.blueprint(create_console_pages())

    @app.listener("before_server_start")
    async def start_services(app: Sanic, _loop: Any) -> None:
        client = redis.Redis.from_url(settings.redis_url)
        transcript = Transcript(client)
        fanout = ConversationFanout(client, transcript)
        rasa = RasaChannelClient(
            settings.rasa_url,
            settings.channel_secret,
            settings.rasa_timeout_seconds,
            settings.rasa_max_in_flight,
        )
        forwarder = BotForwarder(client, transcript, fanout, rasa, settings.slow_notice_seconds)
        desk = HandoffDesk(
            client,
            transcript,
            RosterCache(roster_file_path()),
            Presence(client, presence_times_from_environment()),
            kick=forwarder.kick,
            hours=BusinessHoursCache(business_file_path()).get,
            reservation_seconds=reservation_seconds_from_environment(),
            retention=retention,
        )
        agent_sessions = AgentSessions(client)
        app.ctx.agent_api = AgentApiServices(
            client=client,
            desk=desk,
            transcript=transcript,
            sessions=agent_sessions,
            login=AgentLogin(
                guard=LoginGuard(client, LoginLimits.from_environment()),
                devices=KnownDevices.from_session_secret(settings.session_secret),
                trusted_proxies=settings.trusted_proxies,
                demo_mode=demo_mode(),
            ),
            canned_replies=CannedRepliesFile(canned_replies_path()),
            retention=retention,
        )
        agent_handlers.start(AgentSocketServices(desk=desk, sessions=agent_sessions))

        async def queue_watcher(channel: str, message: dict[str, Any]) -> None:
            if channel == redis_keys.AGENT_EVENTS_CHANNEL and message.get("type") in (
                "queue_changed",
                "presence_changed",
            ):
                await handlers.refresh_queue_positions()

        fanout.observers += [agent_handlers.observe, queue_watcher]
        handlers.start(
            GatewayServices(
                client=client,
                sessions=SessionStore(
                    client,
                    SessionSigner(settings.session_secret),
                    FloodCaps(
                        settings.limits.handoff_open_per_ip,
                        settings.limits.handoff_open_per_customer,
                    ),
                ),
                transcript=transcript,
                fanout=fanout,
                forwarder=forwarder,
                rate_limit=ConversationRateLimit(
                    client, settings.rate_limit, settings.limits.messages_per_ip
                ),
                desk=desk,
                doors=VisitorDoors(client, settings.limits),
                retention=retention,
            )
        )
        app.ctx.redis = client
        app.ctx.rasa = rasa
        app.ctx.forwarder = forwarder
        app.ctx.fanout = fanout
        app.ctx.tasks = [
            asyncio.create_task(fanout.run()),
            asyncio.create_task(forwarder.sweep_forever()),
            asyncio.create_task(agent_handlers.keep_present_forever()),
            asyncio.create_task(agent_handlers.requeue_forever()),
            asyncio.create_task(RetentionSweeper(client, retention).sweep_forever()),
        ]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(fanout.subscribed.wait(), timeout=5)
        logger.info("gateway.started port=%d pid=%d", settings.port, os.getpid())

    @app.listener("before_server_stop")
    async def close_sockets(_app: Sanic, _loop: Any) -> None:
        await sio.eio.shutdown()

    @app.listener("after_server_stop")
    async def stop_services(app: Sanic, _loop: Any) -> None:
        for task in app.ctx.tasks:
            task.cancel()
        await app.ctx.forwarder.stop()
        await app.ctx.rasa.close()
        await app.ctx.redis.close()

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return await _health(request.app, handlers)

    return app


async def _health(app: Sanic, handlers: VisitorSocketHandlers) -> HTTPResponse:
    started = time.perf_counter()
    redis_report: dict[str, Any]
    try:
        await asyncio.wait_for(app.ctx.redis.ping(), timeout=2)
        pending = await app.ctx.redis.zcard(redis_keys.INBOX_PENDING)
        redis_report = {
            "status": "ok",
            "ms": round((time.perf_counter() - started) * 1000, 2),
            "subscribed": app.ctx.fanout.subscribed.is_set(),
        }
    except (redis.RedisError, OSError, asyncio.TimeoutError) as error:
        redis_report = {"status": "down", "detail": type(error).__name__}
        pending = None
    rasa_ok = await app.ctx.rasa.healthy()
    status = "ok" if redis_report["status"] == "ok" and rasa_ok else "degraded"
    if redis_report["status"] != "ok":
        status = "failing"
    body = {
        "status": status,
        "gateway": {"status": "ok", "pid": os.getpid(), "sockets": len(handlers.sockets)},
        "redis": redis_report,
        "rasa": {"status": "ok" if rasa_ok else "down"},
        "conversations_waiting_for_the_bot": pending,
    }
    return response.json(body, status=503 if status == "failing" else 200)
