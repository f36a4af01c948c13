"""The agents' roster, read from ``agents.yml``, and their passwords.

The file is validated node by node, like ``business.yml``, so every mistake is reported
with the line it is on; skills are checked against the complaint categories of the
business file. ``RosterCache`` re-reads the file when it changes and keeps the last good
roster if an edit breaks it.

Passwords are bcrypt hashes. ``check_password`` always spends exactly one bcrypt check,
so an unknown or disabled agent id cannot be told from a wrong password by timing; the
gateway calls ``check_password_async`` so the check does not stall its event loop.

This module imports no rasa.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.business import BusinessRulesError, business_file_path, load_business_rules
from bot.config_files import ReloadingFile, compose_document

DEFAULT_AGENTS_FILE = Path(__file__).resolve().parent.parent.parent / "agents.yml"

AGENT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
"""A login id: lowercase letters, digits, ``_ . -``; at most 40 characters."""

DEFAULT_MAX_CHATS = 3

BCRYPT_COST = 12
MIN_BCRYPT_COST = 10
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt 5 refuses) anything longer

_HASH_PATTERN = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")

# A hash of a random password nobody kept: checked instead of a real one when the agent
# is unknown or disabled, so those take as long as a wrong password. Same cost as ours.
_DUMMY_HASH = b"$2b$12$lzuR3mNLyJ6sBQvGhFhYuOgS0hu9tXyDKhs005HuHedtmnR2qqw2."

_FIELDS = (
    "name", "team", "avatar_url", "skills", "max_chats", "disabled", "role", "password_hash"
)  # fmt: skip

AGENT_ROLE = "agent"
SUPERVISOR_ROLE = "supervisor"
ROLES = (AGENT_ROLE, SUPERVISOR_ROLE)
"""``role:`` in agents.yml. A supervisor may also export and erase a customer's data
(the agent API's ``/api/agent/customers/...``); every agent takes chats alike."""


class RosterError(ValueError):
    """``agents.yml`` is missing, malformed or names something that does not exist."""


@dataclass(frozen=True)
class AgentProfile:
    """One person who can take over conversations."""

    agent_id: str
    name: str
    team: str
    avatar_url: str
    skills: tuple[str, ...]
    max_chats: int
    disabled: bool
    password_hash: str = field(repr=False)
    role: str = AGENT_ROLE
    """``agent`` or ``supervisor`` (see ``ROLES``)."""

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR_ROLE

    @property
    def first_name(self) -> str:
        """How the customer is told who they talk to: "Maria from our billing team"."""
        return self.name.split()[0]

    def public(self) -> dict[str, Any]:
        """What the agents' console may see (never the hash; visitors get
        ``bot.handoff.desk.handoff_agent``, which has no login id)."""
        from bot.agents.avatars import public_avatar_url

        return {
            "id": self.agent_id,
            "name": self.name,
            "first_name": self.first_name,
            "team": self.team,
            "avatar_url": public_avatar_url(self),
            "skills": list(self.skills),
            "max_chats": self.max_chats,
        }


@dataclass(frozen=True)
class Roster:
    """Every agent in the file, disabled ones included, by id."""

    agents: dict[str, AgentProfile]

    def get(self, agent_id: str) -> AgentProfile | None:
        """The agent with exactly this id (see ``normalize_agent_id``), or None."""
        return self.agents.get(agent_id)

    def active(self) -> list[AgentProfile]:
        """The agents who may log in and receive chats, sorted by id."""
        return [self.agents[key] for key in sorted(self.agents) if not self.agents[key].disabled]


def normalize_agent_id(raw: str) -> str:
    """What a person typed in the login form, as looked up: trimmed and lowercased."""
    return raw.strip().lower()


class _Reader:
    """Walks the composed YAML nodes, reporting errors with their line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Node, message: str) -> RosterError:
        return RosterError(f"{self.path}, line {node.start_mark.line + 1}: {message}")

    def mapping(self, node: Node, what: str) -> list[tuple[ScalarNode, Node]]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        seen: set[str] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, f"{what} has a key that is not a plain text")
            if str(key_node.value) in seen:
                raise self.fail(key_node, f"{what} has '{key_node.value}' twice")
            seen.add(str(key_node.value))
        return list(node.value)

    def text(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{what} must be a non-empty text")
        return str(node.value).strip()

    def count(self, node: Node, what: str) -> int:
        value = self.text(node, what)
        if not value.isdigit() or int(value) < 1:
            raise self.fail(node, f"{what} must be a whole number of at least 1, not {value!r}")
        return int(value)

    def choice(self, node: Node, what: str, allowed: tuple[str, ...]) -> str:
        value = self.text(node, what)
        if value not in allowed:
            raise self.fail(node, f"{what} must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def flag(self, node: Node, what: str) -> bool:
        value = self.text(node, what).lower()
        if value not in {"true", "false"}:
            raise self.fail(node, f"{what} must be true or false, not {node.value!r}")
        return value == "true"


def _read_skills(
    reader: _Reader, node: Node, where: str, known: Collection[str]
) -> tuple[str, ...]:
    if not isinstance(node, SequenceNode) or not node.value:
        raise reader.fail(node, f"{where} skills must be a non-empty list of categories")
    skills: list[str] = []
    for item in node.value:
        skill = reader.text(item, f"each skill of {where}")
        if skill not in known:
            listed = ", ".join(sorted(known))
            raise reader.fail(item, f"{where} has unknown skill {skill!r} (known: {listed})")
        if skill in skills:
            raise reader.fail(item, f"{where} lists skill {skill!r} twice")
        skills.append(skill)
    return tuple(skills)


def _read_avatar_url(reader: _Reader, node: Node, where: str) -> str:
    url = reader.text(node, f"{where} avatar_url")
    scheme_ok = url.startswith("https://") or ":" not in url
    if not scheme_ok or any(char.isspace() or char in "\"'<>\\" for char in url):
        raise reader.fail(
            node, f"{where} avatar_url must be a path like /console/avatars/x.svg or https://…"
        )
    return url


def _read_password_hash(reader: _Reader, node: Node, where: str) -> str:
    value = reader.text(node, f"{where} password_hash")
    match = _HASH_PATTERN.match(value)
    if match is None:
        raise reader.fail(
            node,
            f"{where} password_hash is not a bcrypt hash ($2b$12$ + 53 characters); "
            "set it with: python -m bot.agents set-password",
        )
    if not MIN_BCRYPT_COST <= int(match.group(1)) <= 31:
        raise reader.fail(
            node,
            f"{where} password_hash has cost {match.group(1)}, which must be "
            f"{MIN_BCRYPT_COST}–31; reset it with: python -m bot.agents set-password",
        )
    return value


def _read_agent(
    reader: _Reader, key_node: ScalarNode, node: Node, known_skills: Collection[str]
) -> AgentProfile:
    agent_id = str(key_node.value)
    if not AGENT_ID_PATTERN.match(agent_id):
        raise reader.fail(
            key_node,
            f"agent id {agent_id!r} must be lowercase letters, digits, '_', '.' or '-', "
            "start with a letter or digit and be at most 40 characters",
        )
    where = f"agent '{agent_id}'"
    fields: dict[str, Node] = {}
    for field_key, value_node in reader.mapping(node, where):
        name = str(field_key.value)
        if name not in _FIELDS:
            raise reader.fail(
                field_key, f"{where} has unknown field '{name}' (fields: {', '.join(_FIELDS)})"
            )
        fields[name] = value_node
    for required in ("name", "team", "skills", "password_hash"):
        if required not in fields:
            raise reader.fail(key_node, f"{where} is missing '{required}'")
    return AgentProfile(
        agent_id=agent_id,
        name=reader.text(fields["name"], f"{where} name"),
        team=reader.text(fields["team"], f"{where} team"),
        avatar_url=_read_avatar_url(reader, fields["avatar_url"], where)
        if "avatar_url" in fields
        else "",
        skills=_read_skills(reader, fields["skills"], where, known_skills),
        max_chats=reader.count(fields["max_chats"], f"{where} max_chats")
        if "max_chats" in fields
        else DEFAULT_MAX_CHATS,
        disabled=reader.flag(fields["disabled"], f"{where} disabled")
        if "disabled" in fields
        else False,
        password_hash=_read_password_hash(reader, fields["password_hash"], where),
        role=reader.choice(fields["role"], f"{where} role", ROLES)
        if "role" in fields
        else AGENT_ROLE,
    )


def complaint_categories() -> frozenset[str]:
    """The skills an agent may have: the complaint categories of the business file."""
    try:
        rules = load_business_rules(business_file_path())
    except BusinessRulesError as error:
        raise RosterError(f"cannot check the agents' skills: {error}") from None
    return frozenset(rules.categories)


def parse_roster(source: str, path: Path, known_skills: Collection[str] | None = None) -> Roster:
    """Parse and validate the text of a roster file.

    ``known_skills`` defaults to the complaint categories of the business file in use.
    """
    reader = _Reader(path)
    root = compose_document(source, path, RosterError)
    top = {str(key.value): value for key, value in reader.mapping(root, "the file")}
    if "agents" not in top:
        raise reader.fail(root, "the file is missing 'agents'")
    agents_node = top["agents"]
    entries = reader.mapping(agents_node, "agents")
    skills = complaint_categories() if known_skills is None else known_skills
    agents: dict[str, AgentProfile] = {}
    for key_node, node in entries:
        profile = _read_agent(reader, key_node, node, skills)
        agents[profile.agent_id] = profile
    return Roster(agents=agents)


def load_roster(path: Path, known_skills: Collection[str] | None = None) -> Roster:
    """Read and validate a roster file."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise RosterError(f"{path}: cannot read the agents file ({reason})") from None
    return parse_roster(source, path, known_skills)


def roster_file_path() -> Path:
    """The roster in use: ``$AGENTS_FILE``, else ``agents.demo.yml`` in demo mode
    (bot/agents/demo.py), else ``agents.yml`` at the repo root."""
    from bot.agents.demo import DEMO_AGENTS_FILE, demo_mode

    configured = os.environ.get("AGENTS_FILE")
    if configured:
        return Path(configured)
    return DEMO_AGENTS_FILE if demo_mode() else DEFAULT_AGENTS_FILE


class RosterCache(ReloadingFile[Roster]):
    """The current roster, re-read whenever the file changes (the last good roster stays
    in use while the file is invalid, so a typo never locks every agent out)."""

    def __init__(self, path: Path, known_skills: Collection[str] | None = None) -> None:
        super().__init__(
            path, lambda file: load_roster(file, known_skills), RosterError, "agents file"
        )
        self.known_skills = known_skills


def hash_password(password: str) -> str:
    """A bcrypt hash (cost 12) for the roster; ``ValueError`` says why a password is refused."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"the password must be at least {MIN_PASSWORD_CHARS} characters long")
    if "\x00" in password:
        raise ValueError("the password cannot contain a NUL character")
    try:
        encoded = password.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the password contains characters that are not valid text") from None
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise ValueError(
            f"the password must be at most {MAX_PASSWORD_BYTES} bytes "
            f"(bcrypt ignores the rest); this one is {len(encoded)}"
        )
    return bcrypt.hashpw(encoded, bcrypt.gensalt(BCRYPT_COST)).decode("ascii")


def check_password(profile: AgentProfile | None, password: str) -> bool:
    """Whether ``password`` is this agent's; False for an unknown or disabled agent.

    Always spends one bcrypt check, and never raises, whatever it is given.
    """
    usable = profile is not None and not profile.disabled
    stored = _DUMMY_HASH
    if profile is not None and usable and _HASH_PATTERN.match(profile.password_hash):
        stored = profile.password_hash.encode("ascii")
    else:
        usable = False
    try:
        candidate = password.encode("utf-8")
    except (AttributeError, UnicodeEncodeError):
        candidate, usable = b"", False
    if len(candidate) > MAX_PASSWORD_BYTES:
        # hash_password never accepts these, so none can be right; still spend the check.
        candidate, usable = candidate[:MAX_PASSWORD_BYTES], False
    try:
        matches = bcrypt.checkpw(candidate, stored)
    except ValueError:
        return False
    return usable and matches


async def check_password_async(profile: AgentProfile | None, password: str) -> bool:
    """``check_password`` in a worker thread, so the event loop keeps serving others."""
    return await asyncio.to_thread(check_password, profile, password)
