"""How visitors and public URLs name an agent's picture: an opaque avatar id, never the
login id (a login id handed to strangers is half of a login, and lets them aim guesses
at a person).

The avatar id is an HMAC of the login id keyed by the agent's bcrypt password hash: a
secret every process that reads the roster already has (the gateway and the action
server both name agents to visitors), stable while the password stays, and unrelated
to the login id for anyone without ``agents.yml``. A new password gives a new avatar
id: pictures in that agent's older transcript entries then answer 404.

An agent's own ``avatar_url`` (https://…) is shown as it is; a generated one, or an old
roster's ``/console/avatars/<login id>.svg``, becomes ``/console/avatars/<avatar id>.svg``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from bot.agents.roster import AgentProfile

GENERATED_AVATARS_PATH = "/console/avatars/"
AVATAR_ID_CHARS = 20


def avatar_id(agent: AgentProfile) -> str:
    """The agent's opaque id for visitors (20 hex characters)."""
    digest = hmac.new(
        agent.password_hash.encode("utf-8"), f"avatar:{agent.agent_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:AVATAR_ID_CHARS]


def public_avatar_url(agent: AgentProfile) -> str:
    """The picture's URL as visitors get it (never containing the login id)."""
    if agent.avatar_url and not agent.avatar_url.startswith(GENERATED_AVATARS_PATH):
        return agent.avatar_url
    return f"{GENERATED_AVATARS_PATH}{avatar_id(agent)}.svg"


def names_by_avatar_id(agents: Iterable[AgentProfile]) -> dict[str, str]:
    """``{avatar id: display name}`` of these agents (what the avatar route serves)."""
    return {avatar_id(agent): agent.name for agent in agents}
