"""``python -m bot.agents``: list the agents, add one, set a password, disable or enable,
or log one out everywhere.

A changed password or a disabled agent ends their console sessions by itself: every
session carries a stamp of the password hash it was made under and the gateways check
the roster on every call and every few seconds for open consoles. ``logout`` is the
one command that talks to Redis (``$REDIS_URL``): it raises the agent's generation, so
every session made before is refused, and tells the gateways to close their sockets.

Edits ``agents.yml`` in place and keeps its comments (ruamel.yaml round trip). The new
text is validated as a whole before it replaces the file (through a temporary file and a
rename), so a failed command leaves the roster as it was.
"""

from __future__ import annotations

import argparse
import copy
import getpass
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot import redis_keys
from bot.agents.roster import (
    AGENT_ID_PATTERN,
    AGENT_ROLE,
    DEFAULT_MAX_CHATS,
    ROLES,
    Roster,
    RosterError,
    hash_password,
    load_roster,
    parse_roster,
    roster_file_path,
)
from bot.settings import Settings

_LOCATION = re.compile(r"^.*?, line \d+: ")
"""The "file, line N: " before a roster error, meaningless for an agent not yet written."""


class CommandError(Exception):
    """A problem to report on one line, exiting with status 1."""


def _round_trip() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    return yaml


def _read_document(path: Path) -> tuple[Any, CommentedMap]:
    """The file as an editable document, and its ``agents`` mapping."""
    try:
        document = _round_trip().load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"{path}: cannot read the agents file ({error.strerror})") from None
    except Exception as error:  # ruamel raises many kinds; the loader below names the line
        load_roster(path)
        raise CommandError(f"{path}: not valid YAML ({error})") from None
    agents = document.get("agents") if isinstance(document, CommentedMap) else None
    if not isinstance(agents, CommentedMap):
        load_roster(path)  # reports where the file is wrong
        raise CommandError(f"{path}: 'agents' must be a mapping of agent ids to their details")
    return document, agents


def _save(path: Path, document: Any) -> Roster:
    """Validate the edited document, then replace the file with it atomically."""
    buffer = io.StringIO()
    _round_trip().dump(document, buffer)
    text = buffer.getvalue()
    roster = parse_roster(text, path)
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return roster


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or typed twice at a prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("no password on stdin (expected one line)")
    else:
        try:
            password = getpass.getpass("New password: ")
            again = getpass.getpass("Repeat it: ")
        except EOFError:
            raise CommandError("no password typed") from None
        if password != again:
            raise CommandError("the two passwords differ; nothing changed")
    try:
        return hash_password(password)
    except ValueError as error:
        raise CommandError(f"password refused: {error}") from None


def _existing(agents: CommentedMap, agent_id: str, path: Path) -> CommentedMap:
    entry = agents.get(agent_id)
    if not isinstance(entry, CommentedMap):
        raise CommandError(f"no agent '{agent_id}' in {path} (see: python -m bot.agents list)")
    return entry


def _list(args: argparse.Namespace, path: Path) -> str:
    roster = load_roster(path)
    if not roster.agents:
        return f"{path}: no agents yet (add one: python -m bot.agents add ID ...)"
    rows = [("ID", "NAME", "TEAM", "ROLE", "SKILLS", "MAX", "STATUS")]
    for agent_id in sorted(roster.agents):
        agent = roster.agents[agent_id]
        status = "disabled" if agent.disabled else "active"
        skills = ",".join(agent.skills)
        rows.append(
            (agent_id, agent.name, agent.team, agent.role, skills, str(agent.max_chats), status)
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _add(args: argparse.Namespace, path: Path) -> str:
    agent_id: str = args.agent_id
    if not AGENT_ID_PATTERN.match(agent_id):
        raise CommandError(
            f"agent id {agent_id!r} must be lowercase letters, digits, '_', '.' or '-', "
            "start with a letter or digit and be at most 40 characters"
        )
    if args.max_chats < 1:
        raise CommandError("--max-chats must be at least 1")
    skills = [skill.strip() for skill in args.skills.split(",") if skill.strip()]
    if not skills:
        raise CommandError("--skills needs at least one category, e.g. --skills billing,refund")
    document, agents = _read_document(path)
    if agent_id in agents:
        raise CommandError(f"agent '{agent_id}' already exists (use set-password to change it)")
    entry = CommentedMap()
    entry["name"] = args.name.strip()
    entry["team"] = args.team.strip()
    if args.avatar_url:
        entry["avatar_url"] = args.avatar_url.strip()
    skill_list = CommentedSeq(skills)
    skill_list.fa.set_flow_style()
    entry["skills"] = skill_list
    entry["max_chats"] = args.max_chats
    entry["disabled"] = False
    if args.role != AGENT_ROLE:
        entry["role"] = args.role
    try:  # check the details before asking for a password
        parse_roster(_dump_probe(document, agents, agent_id, entry), path)
    except RosterError as error:
        raise CommandError(f"cannot add '{agent_id}': {_LOCATION.sub('', str(error))}") from None
    entry["password_hash"] = DoubleQuotedScalarString(_read_password(args.password_stdin))
    _carry_trailing_comment(agents, entry)
    agents[agent_id] = entry
    _save(path, document)
    role = f", {args.role}" if args.role != AGENT_ROLE else ""
    return f"added agent '{agent_id}' ({entry['name']}, {entry['team']} team{role})"


def _dump_probe(document: Any, agents: CommentedMap, agent_id: str, entry: CommentedMap) -> str:
    """The file as it would be with ``entry`` and a placeholder hash, to check the details."""
    probe = CommentedMap(entry)
    probe["password_hash"] = "$2b$12$" + "." * 53
    agents[agent_id] = probe
    try:
        buffer = io.StringIO()
        _round_trip().dump(document, buffer)
        return buffer.getvalue()
    finally:
        del agents[agent_id]


def _carry_trailing_comment(agents: CommentedMap, entry: CommentedMap) -> None:
    """Keep comment lines that ended the file at its end, after the agent being appended.

    ruamel.yaml hangs them on the last field of the last agent, so without this the new
    agent would be written below them.
    """
    if not agents:
        return
    previous = agents[list(agents)[-1]]
    if not isinstance(previous, CommentedMap) or not previous:
        return
    last_field = list(previous)[-1]
    slots = previous.ca.items.get(last_field)
    token = slots[2] if slots and len(slots) > 2 else None
    if token is None or "\n" not in token.value:
        return
    end_of_line, following = token.value.split("\n", 1)
    if not following.strip():
        return
    moved = copy.copy(token)
    moved.value = "\n" + following
    token.value = end_of_line + "\n"
    entry.ca.items[list(entry)[-1]] = [None, None, moved, None]


def _set_password(args: argparse.Namespace, path: Path) -> str:
    document, agents = _read_document(path)
    entry = _existing(agents, args.agent_id, path)
    entry["password_hash"] = DoubleQuotedScalarString(_read_password(args.password_stdin))
    _save(path, document)
    return f"password of '{args.agent_id}' changed"


def _set_disabled(disabled: bool) -> Callable[[argparse.Namespace, Path], str]:
    def command(args: argparse.Namespace, path: Path) -> str:
        document, agents = _read_document(path)
        entry = _existing(agents, args.agent_id, path)
        state = "disabled" if disabled else "enabled"
        if bool(entry.get("disabled", False)) == disabled:
            return f"'{args.agent_id}' is already {state}"
        entry["disabled"] = disabled
        _save(path, document)
        return f"'{args.agent_id}' is now {state}"

    return command


def _logout(args: argparse.Namespace, path: Path) -> str:
    """End every console session of an agent now (any agent id, even one removed)."""
    import redis

    agent_id: str = args.agent_id
    if not AGENT_ID_PATTERN.match(agent_id):
        raise CommandError(f"agent id {agent_id!r} is not a valid agent id")
    url = Settings.from_environment().redis_url
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.incr(redis_keys.agent_generation_key(agent_id))
        client.publish(
            redis_keys.AGENT_EVENTS_CHANNEL,
            json.dumps({"type": "sessions_revoked", "agent_id": agent_id}),
        )
    except redis.RedisError as error:
        raise CommandError(
            f"cannot reach Redis at REDIS_URL={url} ({type(error).__name__}): is the stack "
            "running? Set REDIS_URL to the Redis the gateways use"
        ) from None
    finally:
        client.close()
    return f"every console session of '{agent_id}' has ended"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.agents", description="Manage the agents' roster (agents.yml)."
    )
    file_help = "the roster file (default: $AGENTS_FILE or agents.yml)"
    parser.add_argument("--file", type=Path, default=None, help=file_help)
    # --file is accepted after the command too; SUPPRESS keeps it from erasing the above.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--file", type=Path, default=argparse.SUPPRESS, help=file_help)
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from one line of stdin instead of prompting",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", parents=[common], help="show the agents (no hashes)")
    listing.set_defaults(run=_list)

    add = commands.add_parser("add", parents=[common, password], help="add an agent")
    add.add_argument("agent_id", metavar="ID")
    add.add_argument("--name", required=True, help='display name, e.g. "Maria Lopez"')
    add.add_argument("--team", required=True, help="team, e.g. billing")
    add.add_argument("--skills", required=True, help="comma-separated categories")
    add.add_argument("--max-chats", type=int, default=DEFAULT_MAX_CHATS)
    add.add_argument("--avatar-url", default=None, help="e.g. /console/avatars/sam.svg")
    add.add_argument(
        "--role",
        choices=ROLES,
        default=AGENT_ROLE,
        help="supervisor: may also export and erase a customer's data (default: agent)",
    )
    add.set_defaults(run=_add)

    reset = commands.add_parser(
        "set-password", parents=[common, password], help="set an agent's password"
    )
    reset.add_argument("agent_id", metavar="ID")
    reset.set_defaults(run=_set_password)

    for name, disabled in (("disable", True), ("enable", False)):
        toggle = commands.add_parser(name, parents=[common], help=f"{name} an agent's login")
        toggle.add_argument("agent_id", metavar="ID")
        toggle.set_defaults(run=_set_disabled(disabled))

    logout = commands.add_parser(
        "logout", parents=[common], help="end every console session of an agent (needs Redis)"
    )
    logout.add_argument("agent_id", metavar="ID")
    logout.set_defaults(run=_logout)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path: Path = args.file or roster_file_path()
    try:
        print(args.run(args, path))
    except (CommandError, RosterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {path}: cannot write the agents file ({error.strerror})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ncancelled; nothing changed", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
