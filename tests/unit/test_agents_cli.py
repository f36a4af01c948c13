"""``python -m bot.agents``, run as a subprocess on a copy of the demo roster (agents.demo.yml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.agents.roster import check_password, load_roster
from tests.cli import run_tool
from tests.conftest import ROOT


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "agents.yml"
    shutil.copy(ROOT / "agents.demo.yml", path)
    return path


def run(roster_file: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_tool(
        "bot.agents", "--file", str(roster_file), *args, stdin=stdin, unset=("AGENTS_FILE",)
    )


def add_sam(roster_file: Path, password: str = "sam-secret-1") -> subprocess.CompletedProcess[str]:
    return run(
        roster_file,
        "add",
        "sam",
        "--name",
        "Sam O'Brien",
        "--team",
        "delivery",
        "--skills",
        "late_delivery, wrong_item",
        "--max-chats",
        "4",
        "--password-stdin",
        stdin=f"{password}\n",
    )


def assert_refused(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1, result
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert expected in result.stderr


def test_an_added_agent_can_log_in(roster_file):
    before = load_roster(roster_file)

    result = add_sam(roster_file)

    assert result.returncode == 0, result.stderr
    assert "added agent 'sam'" in result.stdout
    after = load_roster(roster_file)
    sam = after.get("sam")
    assert (sam.name, sam.team, sam.skills) == (
        "Sam O'Brien",
        "delivery",
        ("late_delivery", "wrong_item"),
    )
    assert (sam.max_chats, sam.disabled, sam.avatar_url) == (4, False, "")
    assert check_password(sam, "sam-secret-1")
    assert not check_password(sam, "sam-secret-2")
    assert "sam-secret-1" not in roster_file.read_text(encoding="utf-8")
    for agent_id in ("maria", "tom", "priya"):  # the others are untouched
        assert after.get(agent_id) == before.get(agent_id)


def test_adding_an_existing_id_is_refused_and_changes_nothing(roster_file):
    original = roster_file.read_bytes()

    result = run(
        roster_file,
        "add",
        "maria",
        "--name",
        "Maria Two",
        "--team",
        "billing",
        "--skills",
        "billing",
        "--password-stdin",
        stdin="another-pass-1\n",
    )

    assert_refused(result, "'maria' already exists")
    assert roster_file.read_bytes() == original


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["--skills", "billing,nonsense"], "good-password-1\n", "unknown skill 'nonsense'"),
        (["--skills", "billing"], "short\n", "at least 8 characters"),
        (["--skills", "billing"], "", "no password on stdin"),
        (["--skills", "billing", "--max-chats", "0"], "good-password-1\n", "--max-chats"),
        (["--skills", " , "], "good-password-1\n", "--skills needs"),
    ],
)
def test_a_bad_add_is_refused_and_changes_nothing(roster_file, args, stdin, expected):
    original = roster_file.read_bytes()

    result = run(
        roster_file,
        "add",
        "newbie",
        "--name",
        "New Bie",
        "--team",
        "billing",
        *args,
        "--password-stdin",
        stdin=stdin,
    )

    assert_refused(result, expected)
    assert roster_file.read_bytes() == original
    assert not list(roster_file.parent.glob(".agents.yml.*"))  # no temporary file left


def test_an_invalid_id_is_refused(roster_file):
    result = run(roster_file, "add", "Bad Id", "--name", "B", "--team", "t", "--skills", "billing")
    assert_refused(result, "must be lowercase")


def test_set_password_replaces_the_old_one(roster_file):
    result = run(roster_file, "set-password", "tom", "--password-stdin", stdin="tom-new-pass-9\n")

    assert result.returncode == 0, result.stderr
    tom = load_roster(roster_file).get("tom")
    assert check_password(tom, "tom-new-pass-9")
    assert not check_password(tom, "tom-demo-pass")
    assert check_password(load_roster(roster_file).get("maria"), "maria-demo-pass")


def test_set_password_of_an_unknown_agent_is_refused(roster_file):
    original = roster_file.read_bytes()
    result = run(roster_file, "set-password", "nobody", "--password-stdin", stdin="whatever-1\n")
    assert_refused(result, "no agent 'nobody'")
    assert roster_file.read_bytes() == original


def test_disable_and_enable(roster_file):
    assert run(roster_file, "disable", "tom").returncode == 0
    tom = load_roster(roster_file).get("tom")
    assert tom.disabled
    assert not check_password(tom, "tom-demo-pass")
    assert [agent.agent_id for agent in load_roster(roster_file).active()] == ["maria", "priya"]

    again = run(roster_file, "disable", "tom")
    assert again.returncode == 0
    assert "already disabled" in again.stdout

    assert run(roster_file, "enable", "tom").returncode == 0
    assert check_password(load_roster(roster_file).get("tom"), "tom-demo-pass")

    assert_refused(run(roster_file, "disable", "nobody"), "no agent 'nobody'")


def test_list_shows_the_agents_without_hashes(roster_file):
    run(roster_file, "disable", "priya")

    result = run(roster_file, "list")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TEAM", "ROLE", "SKILLS", "MAX", "STATUS"]
    assert lines[1].split() == [
        "maria",
        "Maria",
        "Lopez",
        "billing",
        "supervisor",
        "billing,refund,refund_not_received,price_not_applied,subscription_charge",
        "3",
        "active",
    ]
    assert lines[2].split()[0] == "priya"
    assert lines[2].split()[4] == "agent"  # priya, Priya, Shah, accounts, agent
    assert lines[2].split()[-1] == "disabled"
    assert "$2b$" not in result.stdout


def test_comments_survive_every_edit(roster_file):
    text = roster_file.read_text(encoding="utf-8")
    text = text.replace("    team: delivery\n", "    team: delivery  # Tom covers nights\n", 1)
    roster_file.write_text(text + "# end of roster\n", encoding="utf-8")
    header = text.split("agents:")[0]

    assert add_sam(roster_file).returncode == 0
    assert (
        run(
            roster_file, "set-password", "maria", "--password-stdin", stdin="maria-new-9\n"
        ).returncode
        == 0
    )
    assert run(roster_file, "disable", "priya").returncode == 0

    edited = roster_file.read_text(encoding="utf-8")
    assert edited.startswith(header)
    assert "    team: delivery  # Tom covers nights\n" in edited
    assert edited.endswith("# end of roster\n")  # still after the agent added last
    assert edited.index("  sam:") < edited.index("# end of roster")
    assert edited.count('password_hash: "$2b$12$') == 4  # quoted like the others


def test_an_already_invalid_file_is_not_overwritten(roster_file):
    text = roster_file.read_text(encoding="utf-8").replace("max_chats: 3", "max_chats: 0", 1)
    roster_file.write_text(text, encoding="utf-8")

    result = run(roster_file, "disable", "tom")

    bad_line = text.splitlines().index("    max_chats: 0") + 1
    assert_refused(result, f"line {bad_line}: agent 'maria' max_chats")
    assert roster_file.read_text(encoding="utf-8") == text


def test_a_missing_file_is_reported(tmp_path):
    assert_refused(run(tmp_path / "nope.yml", "list"), "cannot read the agents file")
    assert_refused(run(tmp_path / "nope.yml", "disable", "tom"), "cannot read the agents file")


def test_an_agent_can_be_added_as_a_supervisor(roster_file):
    result = run(
        roster_file,
        "add",
        "ana",
        "--name",
        "Ana Silva",
        "--team",
        "billing",
        "--skills",
        "billing",
        "--role",
        "supervisor",
        "--password-stdin",
        stdin="ana-secret-1\n",
    )

    assert result.returncode == 0, result.stderr
    assert "supervisor" in result.stdout
    assert load_roster(roster_file).get("ana").is_supervisor
    assert not load_roster(roster_file).get("tom").is_supervisor


def test_an_unknown_role_is_refused(roster_file):
    before = roster_file.read_text(encoding="utf-8")

    result = run(roster_file, "add", "ana", "--name", "Ana", "--team", "billing",
                 "--skills", "billing", "--role", "admin", "--password-stdin",
                 stdin="ana-secret-1\n")  # fmt: skip

    assert result.returncode == 2  # argparse: invalid choice
    assert "invalid choice: 'admin'" in result.stderr
    assert roster_file.read_text(encoding="utf-8") == before
