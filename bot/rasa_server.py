"""Rasa, started as ``python -m bot.rasa_server run --model ... --enable-api``.

``rasa run --auth-token TOKEN`` puts the token of Rasa's HTTP API on the command line,
where ``ps`` shows it to every local user. This launcher takes the same arguments as
``rasa`` without the token, reads the token from ``RASA_API_TOKEN`` or the 0600 file
``RASA_API_TOKEN_FILE`` names, adds ``--auth-token=<token>`` to ``sys.argv`` inside this
process only, and calls Rasa's CLI in-process: the process's command line (which
``/proc/<pid>/cmdline`` keeps from the exec, and Sanic's forked workers share) never holds
the token. It also turns Rasa's telemetry off unless the operator opted in
(``bot/rasa_telemetry.py``).
"""

from __future__ import annotations

import os
import sys

from bot.rasa_telemetry import telemetry_environment
from bot.secret_source import SecretError, read_secret

TOKEN_SETTING = "RASA_API_TOKEN"
TOKEN_OPTION = "--auth-token"


class LauncherError(RuntimeError):
    """The arguments or the token are not usable; the message says why."""


def wants_http_api(arguments: list[str]) -> bool:
    return "--enable-api" in arguments


def rasa_arguments(arguments: list[str], token: str | None) -> list[str]:
    """``sys.argv`` for Rasa's CLI: ``rasa``, ``arguments``, then ``--auth-token=<token>``
    when there is a token (the ``=`` form, so a token starting with ``-`` stays a value).

    A token among ``arguments`` is refused: it would be on our own command line."""
    if any(arg == TOKEN_OPTION or arg.startswith(f"{TOKEN_OPTION}=") for arg in arguments):
        raise LauncherError(
            f"{TOKEN_OPTION} on the command line is visible to every local user (ps): "
            f"give the token in {TOKEN_SETTING} or {TOKEN_SETTING}_FILE instead"
        )
    if not arguments or arguments[0] != "run":
        raise LauncherError("usage: python -m bot.rasa_server run [rasa run options]")
    token_arguments = [f"{TOKEN_OPTION}={token}"] if token else []
    return ["rasa", *arguments, *token_arguments]


def main(argv: list[str] | None = None) -> int:
    """Start ``rasa run`` in this process with the token added in memory."""
    arguments = sys.argv[1:] if argv is None else argv
    try:
        token = read_secret(TOKEN_SETTING) if wants_http_api(arguments) else None
        rasa_argv = rasa_arguments(arguments, token)
    except (LauncherError, SecretError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.environ.update(telemetry_environment())
    sys.argv = rasa_argv
    from rasa.__main__ import main as rasa_main  # heavy (TensorFlow): only now

    rasa_main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
