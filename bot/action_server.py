"""The action server, started as ``python -m bot.action_server --actions actions --port N``.

rasa_sdk's own server (``python -m rasa_sdk``) answers anyone who can reach its port: any
local user, or a web page in a browser on the same host, could POST to ``/webhook`` and
run an action (record a cancellation, a refund...). This launcher builds the same
rasa_sdk Sanic app (``rasa_sdk.endpoint.create_app``, same arguments as ``rasa_sdk``,
same ``actions`` package import) and puts one request middleware in front of it: every
route except ``/health`` needs the header ``X-Action-Token`` equal to
``ACTION_SERVER_TOKEN`` (or the 0600 file ``ACTION_SERVER_TOKEN_FILE`` names), compared
in constant time. Rasa sends the header (``action_endpoint.headers`` in endpoints.yml);
``make run`` makes the token new every run and gives it to both by environment.

A browser cannot set that header on a cross-site request without a CORS preflight, which
is refused too (no origin is allowed unless ``--cors`` says so).
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from collections.abc import Awaitable, Callable

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.secret_source import SecretError, read_secret

ACTION_TOKEN_HEADER = "X-Action-Token"
TOKEN_SETTING = "ACTION_SERVER_TOKEN"
OPEN_PATHS = frozenset({"/health"})
"""Answered without the token: says only that the server is up."""

logger = logging.getLogger(__name__)


def token_matches(provided: str | None, expected: str) -> bool:
    """Whether ``provided`` is the token, in time that does not depend on where they differ."""
    if not provided:
        return False
    return hmac.compare_digest(provided.encode("utf-8"), expected.encode("utf-8"))


def token_guard(expected: str) -> Callable[[Request], Awaitable[HTTPResponse | None]]:
    """A Sanic request middleware: 401 with a JSON error for any request but ``/health``
    that lacks the token; ``None`` (go on) otherwise."""

    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if token_matches(request.headers.get(ACTION_TOKEN_HEADER), expected):
            return None
        logger.warning("action_server.refused path=%s (no valid %s)", request.path,
                       ACTION_TOKEN_HEADER)  # fmt: skip
        return response.json(
            {
                "error": "unauthorized",
                "detail": f"the action server needs the {ACTION_TOKEN_HEADER} header with "
                "the token Rasa was given (ACTION_SERVER_TOKEN)",
            },
            status=401,
        )

    return require_token


def create_guarded_app(
    actions_package: str,
    token: str,
    cors_origins: str | list[str] | None = None,
    auto_reload: bool = False,
) -> Sanic:
    """rasa_sdk's app for ``actions_package``, with its plugins and the token guard."""
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.plugin import plugin_manager

    app = create_app(actions_package, cors_origins=cors_origins, auto_reload=auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    app.register_middleware(token_guard(token), "request")
    return app


def main(argv: list[str] | None = None) -> int:
    """Parse rasa_sdk's own arguments, read the token, and serve until stopped."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser, create_ssl_context

    args = create_argument_parser().parse_args(argv)
    try:
        token = read_secret(TOKEN_SETTING)
    except SecretError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = create_guarded_app(
        args.actions, token, cors_origins=args.cors, auto_reload=args.auto_reload
    )
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")
    logger.info("action_server.starting host=%s port=%s token_required=yes", host, args.port)
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
