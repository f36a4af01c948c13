"""Settings read from the environment once, into one frozen dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.secret_source import SecretError, read_secret

DEFAULT_EMBEDDED_REDIS_PORT = 6390


class SettingsError(ValueError):
    """A setting cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Where things are. Every field comes from an environment variable."""

    redis_url: str
    """``REDIS_URL``; ``make run`` sets it to the embedded Redis when unset. Else the URL
    in the 0600 file ``REDIS_URL_FILE`` names: a command run beside ``make run`` (which
    keeps its embedded Redis's URL, password included, in ``.data/redis-url``) uses
    ``REDIS_URL_FILE=.data/redis-url``."""

    @classmethod
    def from_environment(cls) -> Settings:
        default_url = f"redis://127.0.0.1:{DEFAULT_EMBEDDED_REDIS_PORT}/0"
        if os.environ.get("REDIS_URL") or os.environ.get("REDIS_URL_FILE"):
            try:
                return cls(redis_url=read_secret("REDIS_URL"))
            except SecretError as error:
                raise SettingsError(str(error)) from None
        return cls(redis_url=default_url)
