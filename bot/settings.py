"""Settings read from the environment once, into one frozen dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_EMBEDDED_REDIS_PORT = 6390


@dataclass(frozen=True)
class Settings:
    """Where things are. Every field comes from an environment variable."""

    redis_url: str
    """``REDIS_URL``; ``make run`` sets it to the embedded Redis when unset."""

    @classmethod
    def from_environment(cls) -> Settings:
        default_url = f"redis://127.0.0.1:{DEFAULT_EMBEDDED_REDIS_PORT}/0"
        return cls(redis_url=os.environ.get("REDIS_URL") or default_url)
