"""bot/agents/avatars.py: visitors get opaque avatar ids, never login ids (finding 2)."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.agents.avatars import avatar_id, names_by_avatar_id, public_avatar_url
from bot.agents.demo import DEMO_AGENTS_FILE
from bot.agents.roster import load_roster
from bot.handoff.desk import agent_sender, handoff_agent

ROSTER = load_roster(DEMO_AGENTS_FILE)


def test_what_a_visitor_is_told_about_an_agent_holds_no_login_id():
    for demo_agent in ROSTER.agents.values():
        agent = replace(demo_agent, agent_id=f"login-{demo_agent.agent_id}-7")
        told = json.dumps([handoff_agent(agent), agent_sender(agent)])
        assert agent.agent_id not in told, told
        assert handoff_agent(agent)["id"] == avatar_id(agent)
        assert handoff_agent(agent)["avatar_url"] == f"/console/avatars/{avatar_id(agent)}.svg"


def test_avatar_ids_are_stable_distinct_and_change_with_the_password():
    maria, tom = ROSTER.agents["maria"], ROSTER.agents["tom"]
    assert avatar_id(maria) == avatar_id(ROSTER.agents["maria"])
    assert avatar_id(maria) != avatar_id(tom)
    renamed = replace(maria, password_hash=tom.password_hash)
    assert avatar_id(renamed) != avatar_id(maria)


def test_an_old_rosters_login_id_avatar_url_is_replaced_and_https_kept():
    maria = ROSTER.agents["maria"]
    old = replace(maria, avatar_url="/console/avatars/maria.svg")
    assert public_avatar_url(old) == f"/console/avatars/{avatar_id(maria)}.svg"
    own = replace(maria, avatar_url="https://cdn.example/p/77.png")
    assert public_avatar_url(own) == "https://cdn.example/p/77.png"


def test_the_avatar_route_is_keyed_by_avatar_id():
    names = names_by_avatar_id(ROSTER.agents.values())
    assert "maria" not in names
    assert names[avatar_id(ROSTER.agents["maria"])] == "Maria Lopez"
