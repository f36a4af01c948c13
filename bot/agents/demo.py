"""Demo mode: the three demo agents, whose passwords the README prints, exist only here.

``DEMO_MODE=1`` makes the roster default to ``agents.demo.yml`` (maria, tom, priya) and
lets them log in; ``make run`` turns it on by itself on a fresh checkout (no agents in
``agents.yml``) and says so loudly. Outside demo mode:

- the stack (bot/stack.py) and every gateway refuse to start while an enabled agent
  has a published demo password (``demo_password_problem``), with one line saying what
  to do;
- a login with a published demo password is refused even when it is right (the roster
  is re-read while running, so an edit after start is caught there).

The start-up check costs one bcrypt check per agent whose id has a published password
(and none for the others): each published password is checked against the hash of the
id it was published for, and every hash is compared with the shipped demo hashes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt

DEMO_MODE_VARIABLE = "DEMO_MODE"
DEMO_AGENTS_FILE = Path(__file__).resolve().parent.parent.parent / "agents.demo.yml"

DEMO_PASSWORDS: Mapping[str, str] = {
    "maria": "maria-demo-pass",
    "tom": "tom-demo-pass",
    "priya": "priya-demo-pass",
}
"""The published demo accounts (README, "Human handoff"): agent id → password."""

SHIPPED_DEMO_HASHES = frozenset(
    {
        "$2b$12$fXyX5m0Rw31c1SgiOYSx/uPXXnYK9KEMkQb64owUY1lMcxhXeoF3W",
        "$2b$12$nMfS/hB9id8dIf6Cg/FXceDCnJek2sJhabFwwfdtHPAsyMuYjDv9G",
        "$2b$12$2stz5ctrFNPuSw8T3TkAiuc7xsN4CLibIMNugk206ZRlICjtBpTLu",
    }
)
"""The hashes agents.demo.yml ships (a copy of it under other ids is caught too)."""


def demo_mode(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``DEMO_MODE`` is on (1, true or yes)."""
    source = os.environ if environ is None else environ
    return source.get(DEMO_MODE_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def is_demo_password(password: str) -> bool:
    return password in DEMO_PASSWORDS.values()


def _has_demo_password(agent_id: str, password_hash: str) -> bool:
    if password_hash in SHIPPED_DEMO_HASHES:
        return True
    published = DEMO_PASSWORDS.get(agent_id)
    if published is None:
        return False
    try:
        return bcrypt.checkpw(published.encode(), password_hash.encode("ascii"))
    except ValueError:
        return False


def agents_with_demo_passwords(hashes: Mapping[str, str]) -> list[str]:
    """The ids (sorted) among ``{enabled agent id: password hash}`` whose password is a
    published demo password."""
    ids = sorted(hashes)
    with ThreadPoolExecutor(max_workers=max(1, min(len(ids), 4))) as pool:
        found = list(pool.map(lambda agent_id: _has_demo_password(agent_id, hashes[agent_id]), ids))
    return [agent_id for agent_id, demo in zip(ids, found, strict=True) if demo]


def roster_demo_problem(roster_path: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """``demo_password_problem`` of the roster file at ``roster_path`` (None when the
    file cannot be read: its own check reports that)."""
    from bot.agents.roster import RosterError, load_roster

    if demo_mode(environ):
        return None
    try:
        roster = load_roster(roster_path)
    except RosterError:
        return None
    hashes = {agent.agent_id: agent.password_hash for agent in roster.active()}
    return demo_password_problem(hashes, roster_path, environ)


def demo_password_problem(
    hashes: Mapping[str, str], roster_path: Path, environ: Mapping[str, str] | None = None
) -> str | None:
    """Why a deployment must not start (one line), or None: outside demo mode, no
    enabled agent may have a published demo password."""
    if demo_mode(environ):
        return None
    found = agents_with_demo_passwords(hashes)
    if not found:
        return None
    names = ", ".join(found)
    return (
        f"{roster_path}: agent(s) {names} use a published demo password; outside demo mode "
        "set a real one (python -m bot.agents set-password ID) or disable them, or run the "
        "demo with DEMO_MODE=1 (never facing the internet)"
    )


def demo_banner(reason: str) -> str:
    """What ``make run`` prints in demo mode, impossible to miss."""
    rule = "!" * 78
    lines = [
        "DEMO MODE " + reason,
        "The demo agents maria, tom and priya (agents.demo.yml) log in with",
        "the passwords printed in the README: anyone who can reach this",
        "server can log in as them. Never let a demo face the internet.",
        "For a real deployment add agents (python -m bot.agents add ID ...)",
        "and start without DEMO_MODE.",
    ]
    return "\n".join([rule, *(f"!! {line:<72} !!" for line in lines), rule])


def settle_demo_mode(environ: MutableMapping[str, str], roster_path: Path) -> str | None:
    """Turn demo mode on for a fresh checkout (no DEMO_MODE, no AGENTS_FILE, no agents
    in agents.yml); the banner to print when demo mode is on, else None."""
    from bot.agents.roster import RosterError, load_roster

    reason = "(DEMO_MODE=1)"
    if DEMO_MODE_VARIABLE not in environ and not environ.get("AGENTS_FILE"):
        try:
            empty = not load_roster(roster_path).agents
        except RosterError:
            empty = False  # the preflight reports the file
        if empty:
            environ[DEMO_MODE_VARIABLE] = "1"
            reason = f"(on by itself: {roster_path.name} has no agents yet)"
    return demo_banner(reason) if demo_mode(environ) else None
