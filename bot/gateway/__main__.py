"""``python -m bot.gateway``: run one gateway process (settings from the environment)."""

from __future__ import annotations

import logging
import sys
import warnings

from bot.agents.demo import roster_demo_problem
from bot.agents.login_guard import LoginLimits, LoginLimitsError
from bot.agents.roster import roster_file_path
from bot.gateway.app import create_app
from bot.gateway.settings import GatewaySettings, GatewaySettingsError
from bot.retention import RetentionPolicy, RetentionSettingsError
from bot.settings import SettingsError


def main() -> int:
    # Sanic 21.12's websocket code on Python 3.10; nothing we can act on.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="sanic")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = GatewaySettings.from_environment()
        retention = RetentionPolicy.from_environment()
        LoginLimits.from_environment()
    except (
        GatewaySettingsError,
        RetentionSettingsError,
        SettingsError,
        LoginLimitsError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    demo_problem = roster_demo_problem(roster_file_path())
    if demo_problem is not None:
        print(f"error: {demo_problem}", file=sys.stderr)
        return 1
    app = create_app(settings, retention)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
