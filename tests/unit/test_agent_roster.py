"""bot/agents/roster.py: the shipped agents.yml, validation with line numbers, the cache
that re-reads it, and bcrypt passwords that never raise or leak who exists."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import bcrypt
import pytest

from bot.agents.avatars import avatar_id
from bot.agents.demo import DEMO_AGENTS_FILE
from bot.agents.roster import (
    DEFAULT_AGENTS_FILE,
    AgentProfile,
    RosterCache,
    RosterError,
    check_password,
    check_password_async,
    hash_password,
    load_roster,
    normalize_agent_id,
    roster_file_path,
)
from bot.business import load_business_rules
from tests.conftest import ROOT

# A real cost-12 hash of "sam-secret-1", so these tests need not compute one.
SAM_HASH = "$2b$12$np2YaWr2DbP97zhVTPhhUege55mX/erzKOwlkIzwqjEOGSSLKaPtm"

VALID_ROSTER = f"""\
# a comment
agents:
  sam:
    name: Sam Okafor
    team: delivery
    skills: [late_delivery, wrong_item]
    password_hash: "{SAM_HASH}"
  lee:
    name: Lee
    team: billing
    avatar_url: https://cdn.example.com/lee.png
    skills:
      - billing
    max_chats: 5
    disabled: true
    role: supervisor
    password_hash: "{SAM_HASH}"
"""


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based number of the n-th line of ``text`` containing ``fragment``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{fragment!r} is not in the text {occurrence} time(s)")


def write(tmp_path: Path, text: str, name: str = "agents.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    return message


@pytest.fixture(scope="module")
def shipped():
    return load_roster(DEMO_AGENTS_FILE)


def test_the_real_roster_ships_empty():
    """The demo agents are in agents.demo.yml (demo mode only), not in agents.yml."""
    assert DEFAULT_AGENTS_FILE == ROOT / "agents.yml"
    assert load_roster(DEFAULT_AGENTS_FILE).agents == {}


def test_the_demo_roster_has_the_three_demo_agents(shipped):
    assert DEMO_AGENTS_FILE == ROOT / "agents.demo.yml"
    assert sorted(shipped.agents) == ["maria", "priya", "tom"]
    maria = shipped.get("maria")
    assert maria is not None
    assert (maria.name, maria.first_name, maria.team) == ("Maria Lopez", "Maria", "billing")
    assert maria.skills[:2] == ("billing", "refund")
    assert shipped.get("tom").skills[0] == "late_delivery"
    assert shipped.get("priya").skills == ("account_access", "service")
    # Every category of the shipped business.yml has someone to go to, and only one team.
    skills = [skill for agent in shipped.agents.values() for skill in agent.skills]
    assert sorted(skills) == sorted(load_business_rules(ROOT / "business.yml").categories)
    assert all(agent.max_chats == 3 and not agent.disabled for agent in shipped.agents.values())
    assert [agent.agent_id for agent in shipped.active()] == ["maria", "priya", "tom"]
    assert shipped.get("nobody") is None
    # One demo supervisor, to try the customer data export and erasure.
    assert [a.agent_id for a in shipped.agents.values() if a.is_supervisor] == ["maria"]


def test_the_shipped_files_hold_hashes_not_passwords():
    text = DEMO_AGENTS_FILE.read_text(encoding="utf-8")
    assert "demo-pass" not in text
    assert "README" in text  # the header says where the demo passwords are listed


@pytest.mark.parametrize(
    ("agent_id", "password"),
    [("maria", "maria-demo-pass"), ("tom", "tom-demo-pass"), ("priya", "priya-demo-pass")],
)
def test_the_demo_passwords_verify(shipped, agent_id, password):
    assert check_password(shipped.get(agent_id), password)


@pytest.mark.parametrize(
    ("agent_id", "password"),
    [("maria", "tom-demo-pass"), ("tom", "Tom-demo-pass"), ("priya", "priya-demo-pass ")],
)
def test_wrong_passwords_do_not_verify(shipped, agent_id, password):
    assert not check_password(shipped.get(agent_id), password)


def test_public_view_is_json_safe_and_has_no_hash(shipped):
    public = shipped.get("maria").public()

    assert public == {
        "id": "maria",
        "name": "Maria Lopez",
        "first_name": "Maria",
        "team": "billing",
        "avatar_url": f"/console/avatars/{avatar_id(shipped.get('maria'))}.svg",
        "skills": [
            "billing",
            "refund",
            "refund_not_received",
            "price_not_applied",
            "subscription_charge",
        ],
        "max_chats": 3,
    }
    assert "$2b$" not in repr(shipped.get("maria"))


def test_optional_fields_get_their_defaults_and_disabled_agents_are_not_active(tmp_path):
    roster = load_roster(write(tmp_path, VALID_ROSTER))

    sam = roster.get("sam")
    assert (sam.max_chats, sam.disabled, sam.avatar_url, sam.role) == (3, False, "", "agent")
    assert not sam.is_supervisor
    lee = roster.get("lee")
    assert (lee.max_chats, lee.disabled, lee.skills) == (5, True, ("billing",))
    assert lee.role == "supervisor"
    assert lee.is_supervisor
    assert [agent.agent_id for agent in roster.active()] == ["sam"]


@pytest.mark.parametrize(
    ("old", "new", "marker", "expected"),
    [
        ("    name: Sam Okafor\n", "", "  sam:", "agent 'sam' is missing 'name'"),
        ("  sam:", "  Sam:", "  Sam:", "agent id 'Sam' must be lowercase"),
        ("  sam:", "  -sam:", "  -sam:", "agent id '-sam'"),
        ("  sam:", f"  {'s' * 41}:", "  sss", "at most 40 characters"),
        (
            "[late_delivery, wrong_item]",
            "[late_delivery, wrong_items]",
            "wrong_items",
            "'wrong_items'",
        ),
        ("      - billing", "      - biling", "- biling", "unknown skill 'biling'"),
        ("    max_chats: 5", "    max_chats: 0", "max_chats: 0", "at least 1, not '0'"),
        ("    max_chats: 5", "    max_chats: two", "max_chats: two", "whole number"),
        ("    disabled: true", "    disabled: maybe", "disabled: maybe", "true or false"),
        (
            "    role: supervisor",
            "    role: admin",
            "role: admin",
            "agent, supervisor, not 'admin'",
        ),
        ("    role: supervisor", "    role: ''", "role: ''", "role must be a non-empty text"),
        (f'"{SAM_HASH}"\n  lee', '"secret"\n  lee', '"secret"', "not a bcrypt hash"),
        (f'"{SAM_HASH}"\n  lee', f'"{SAM_HASH[:-1]}"\n  lee', SAM_HASH[:-1] + '"', "bcrypt hash"),
        ("$2b$12$np2Y", "$2b$04$np2Y", "$2b$04$", "has cost 04"),
        ("    team: billing", "    taem: billing", "taem:", "unknown field 'taem'"),
        (
            "    skills: [late_delivery, wrong_item]",
            "    skills: []",
            "skills: []",
            "non-empty list",
        ),
        ("    team: delivery", "    team: ''", "team: ''", "team must be a non-empty text"),
        ("https://cdn", "javascript://cdn", "javascript:", "avatar_url must be a path"),
        (
            "wrong_item]",
            "wrong_item, late_delivery]",
            "wrong_item, late",
            "skill 'late_delivery' twice",
        ),
        ("  lee:", "  sam:", "  sam:", "'sam' twice"),
    ],
)
def test_mistakes_are_reported_with_their_line(tmp_path, old, new, marker, expected):
    assert old in VALID_ROSTER
    text = VALID_ROSTER.replace(old, new, 1)
    occurrence = 2 if expected == "'sam' twice" else 1

    message = load_error(tmp_path, text)

    assert f"line {line_of(text, marker, occurrence)}:" in message
    assert expected in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("agents:\n  - sam\n  - lee\n", "line 2: agents must be a mapping"),
        ("- agents\n", "line 1: the file must be a mapping"),
        ("agents:\n  sam: [1, 2]\n", "line 2: agent 'sam' must be a mapping"),
        ("agents:\n  sam: Sam Okafor\n", "line 2: agent 'sam' must be a mapping"),
        ("people:\n  sam: {}\n", "line 1: the file is missing 'agents'"),
        ("agents:\n  sam: {name: [\n", "not valid YAML"),
        ("", "the file is empty"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused(tmp_path, text, expected):
    assert expected in load_error(tmp_path, text)


def test_an_empty_roster_is_valid(tmp_path):
    assert load_roster(write(tmp_path, "agents: {}\n")).active() == []


def test_skills_are_checked_against_the_business_files_categories(tmp_path, monkeypatch):
    path = write(tmp_path, VALID_ROSTER)
    assert load_roster(path, known_skills={"late_delivery", "wrong_item", "billing"})
    with pytest.raises(RosterError, match="unknown skill 'wrong_item'"):
        load_roster(path, known_skills={"late_delivery", "billing"})

    business = (ROOT / "business.yml").read_text(encoding="utf-8")
    trimmed = business.replace("  wrong_item:", "  wrong_things:", 1)
    monkeypatch.setenv("BUSINESS_FILE", str(write(tmp_path, trimmed, "business.yml")))
    with pytest.raises(RosterError, match="unknown skill 'wrong_item'"):
        load_roster(path)

    monkeypatch.setenv("BUSINESS_FILE", str(tmp_path / "missing.yml"))
    with pytest.raises(RosterError, match="cannot check the agents' skills"):
        load_roster(path)


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(RosterError, match="cannot read the agents file"):
        load_roster(tmp_path / "nope.yml")


def test_the_file_in_use_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("AGENTS_FILE", raising=False)
    monkeypatch.delenv("DEMO_MODE", raising=False)
    assert roster_file_path() == DEFAULT_AGENTS_FILE
    monkeypatch.setenv("DEMO_MODE", "1")
    assert roster_file_path() == DEMO_AGENTS_FILE
    monkeypatch.setenv("AGENTS_FILE", str(tmp_path / "other.yml"))
    assert roster_file_path() == tmp_path / "other.yml"


def touch_later(path: Path, text: str) -> None:
    """Rewrite the file with a later mtime, so a change is seen even within one tick."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_the_cache_rereads_a_changed_file_and_keeps_the_last_good_roster(tmp_path):
    path = write(tmp_path, VALID_ROSTER)
    cache = RosterCache(path)
    first = cache.get()
    assert cache.get() is first  # unchanged file: not re-read

    touch_later(path, VALID_ROSTER.replace("name: Lee", "name: Lee Chen"))
    second = cache.get()
    assert second.get("lee").name == "Lee Chen"
    assert cache.last_error is None

    touch_later(path, VALID_ROSTER.replace("max_chats: 5", "max_chats: 0"))
    assert cache.get() is second
    assert "max_chats" in str(cache.last_error)

    path.unlink()
    assert cache.get() is second
    assert "cannot read" in str(cache.last_error)

    write(tmp_path, VALID_ROSTER.replace("team: billing", "team: accounts"))
    assert cache.get().get("lee").team == "accounts"
    assert cache.last_error is None


def test_the_cache_raises_when_there_never_was_a_good_roster(tmp_path):
    with pytest.raises(RosterError):
        RosterCache(tmp_path / "nope.yml").get()
    with pytest.raises(RosterError, match="max_chats"):
        RosterCache(write(tmp_path, VALID_ROSTER.replace("max_chats: 5", "max_chats: 0"))).get()


def test_login_ids_are_trimmed_and_lowercased():
    assert normalize_agent_id("  Maria \n") == "maria"


@pytest.fixture(scope="module")
def sam() -> AgentProfile:
    return AgentProfile(
        agent_id="sam",
        name="Sam Okafor",
        team="delivery",
        avatar_url="",
        skills=("late_delivery",),
        max_chats=3,
        disabled=False,
        password_hash=SAM_HASH,
    )


def test_unknown_and_disabled_agents_never_log_in(sam):
    assert check_password(sam, "sam-secret-1")
    assert not check_password(dataclasses.replace(sam, disabled=True), "sam-secret-1")
    assert not check_password(None, "sam-secret-1")


@pytest.mark.parametrize(
    "password",
    ["", "sam-secret-1" + "x" * 100_000, "\ud800\udfff", "sam-secret-1\x00", None, 12345],
)
def test_weird_input_is_false_and_never_raises(sam, password):
    assert check_password(sam, password) is False
    assert check_password(None, password) is False


def test_a_broken_stored_hash_is_false_not_an_error(sam):
    assert not check_password(dataclasses.replace(sam, password_hash="garbage"), "garbage")
    assert not check_password(dataclasses.replace(sam, password_hash=""), "")


def test_non_ascii_passwords_round_trip():
    hashed = hash_password("pässwörd-ünïcødé-🔑")
    profile = AgentProfile("ana", "Ana", "billing", "", ("billing",), 3, False, hashed)

    assert hashed.startswith("$2b$12$")
    assert check_password(profile, "pässwörd-ünïcødé-🔑")
    assert not check_password(profile, "passwörd-ünïcødé-🔑")


def test_a_72_byte_password_is_the_longest_accepted():
    longest = "é" * 36  # 72 bytes in UTF-8
    hashed = hash_password(longest)
    assert bcrypt.checkpw(longest.encode(), hashed.encode())
    with pytest.raises(ValueError, match="at most 72 bytes"):
        hash_password(longest + "a")
    with pytest.raises(ValueError, match="at most 72 bytes"):
        hash_password("€" * 25)  # 25 characters, 75 bytes


def test_short_and_nul_passwords_are_refused():
    with pytest.raises(ValueError, match="at least 8 characters"):
        hash_password("seven77")
    with pytest.raises(ValueError, match="NUL"):
        hash_password("eight888\x00")
    assert hash_password("eight888") != hash_password("eight888")  # salted


async def test_the_async_check_gives_the_same_answers(sam):
    assert await check_password_async(sam, "sam-secret-1")
    assert not await check_password_async(sam, "wrong-secret")
    assert not await check_password_async(None, "sam-secret-1")
