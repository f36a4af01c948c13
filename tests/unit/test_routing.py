"""bot/handoff/routing.py: who a conversation goes to, and why."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.handoff.routing import Candidate, RoutingDecision, choose_agent


@dataclass(frozen=True)
class Profile:
    agent_id: str
    skills: tuple[str, ...] = ()
    max_chats: int = 3
    disabled: bool = False


def candidate(
    agent_id: str,
    *skills: str,
    status: str = "online",
    load: int = 0,
    max_chats: int = 3,
    disabled: bool = False,
) -> Candidate:
    return Candidate(
        profile=Profile(agent_id, tuple(skills), max_chats, disabled), status=status, load=load
    )


# Who has room


def test_an_online_enabled_agent_below_their_limit_has_room():
    assert candidate("maria", load=2, max_chats=3).has_room


@pytest.mark.parametrize(
    "unavailable",
    [
        candidate("maria", status="away"),
        candidate("maria", status="offline"),
        candidate("maria", disabled=True),
        candidate("maria", load=3, max_chats=3),
        candidate("maria", load=4, max_chats=3),
    ],
    ids=["away", "offline", "disabled", "at_capacity", "over_capacity"],
)
def test_away_offline_disabled_or_full_agents_have_no_room(unavailable):
    assert not unavailable.has_room


@pytest.mark.parametrize(
    "unavailable",
    [
        candidate("maria", "refund", status="away"),
        candidate("maria", "refund", status="offline"),
        candidate("maria", "refund", disabled=True),
        candidate("maria", "refund", load=3, max_chats=3),
    ],
    ids=["away", "offline", "disabled", "at_capacity"],
)
def test_an_agent_without_room_is_never_chosen(unavailable):
    fallback = candidate("zed", load=2)

    assert choose_agent([unavailable], "refund", "maria") is None
    assert choose_agent([unavailable, fallback], "refund", "maria") == RoutingDecision("zed", "any")


def test_no_candidates_means_nobody():
    assert choose_agent([], "refund", "maria") is None


def test_nobody_with_room_means_nobody():
    candidates = [
        candidate("maria", "refund", status="away"),
        candidate("tom", status="offline"),
        candidate("priya", load=3),
        candidate("sam", disabled=True),
    ]

    assert choose_agent(candidates, "refund", None) is None


# The order: helped before, then skill, then anyone


def test_the_agent_who_helped_before_comes_first_even_without_the_skill_or_more_loaded():
    candidates = [candidate("maria", "refund", load=0), candidate("tom", "late_delivery", load=2)]

    assert choose_agent(candidates, "refund", "tom") == RoutingDecision("tom", "helped_before")


def test_the_agent_who_helped_before_without_room_falls_through_to_skill():
    candidates = [
        candidate("maria", "refund", load=1),
        candidate("tom", "late_delivery", load=3, max_chats=3),
        candidate("priya", load=0),
    ]

    assert choose_agent(candidates, "refund", "tom") == RoutingDecision("maria", "skill")


@pytest.mark.parametrize(
    "status_change",
    [{"status": "away"}, {"status": "offline"}, {"disabled": True}],
    ids=["away", "offline", "disabled"],
)
def test_the_agent_who_helped_before_but_is_unavailable_falls_through(status_change):
    candidates = [candidate("maria", "refund", load=2), candidate("tom", **status_change)]

    assert choose_agent(candidates, "refund", "tom") == RoutingDecision("maria", "skill")


def test_a_last_agent_not_in_the_candidates_is_ignored():
    candidates = [candidate("maria", "refund")]

    assert choose_agent(candidates, "refund", "gone") == RoutingDecision("maria", "skill")


def test_skill_comes_before_a_less_loaded_agent_without_it():
    candidates = [candidate("priya", "service", load=0), candidate("maria", "refund", load=2)]

    assert choose_agent(candidates, "refund", None) == RoutingDecision("maria", "skill")


def test_among_skilled_agents_the_least_loaded_is_chosen():
    candidates = [
        candidate("maria", "refund", load=2),
        candidate("sam", "refund", "billing", load=1),
        candidate("priya", "service", load=0),
    ]

    assert choose_agent(candidates, "refund", None) == RoutingDecision("sam", "skill")


def test_a_skilled_agent_without_room_is_passed_over_for_a_skilled_one_with_room():
    candidates = [
        candidate("maria", "refund", load=3, max_chats=3),
        candidate("sam", "refund", load=2, max_chats=3),
    ]

    assert choose_agent(candidates, "refund", None) == RoutingDecision("sam", "skill")


def test_load_is_weighed_against_each_agents_limit():
    # amy has 2 of 6 (a third), bob 1 of 2 (half): amy is the less loaded.
    candidates = [
        candidate("bob", "refund", load=1, max_chats=2),
        candidate("amy", "refund", load=2, max_chats=6),
    ]

    assert choose_agent(candidates, "refund", None) == RoutingDecision("amy", "skill")


def test_an_equal_load_ratio_goes_to_the_fewer_chats():
    # Both a third full: zed with 1 of 3 has fewer chats than amy with 2 of 6.
    candidates = [
        candidate("amy", "refund", load=2, max_chats=6),
        candidate("zed", "refund", load=1, max_chats=3),
    ]

    assert choose_agent(candidates, "refund", None) == RoutingDecision("zed", "skill")


@pytest.mark.parametrize("reverse", [False, True])
def test_a_full_tie_goes_to_the_first_id_whatever_the_order_given(reverse):
    candidates = [candidate("amy", "refund", load=1), candidate("zed", "refund", load=1)]
    if reverse:
        candidates.reverse()

    assert choose_agent(candidates, "refund", None) == RoutingDecision("amy", "skill")


def test_without_a_skilled_agent_with_room_anyone_least_loaded_is_chosen():
    candidates = [
        candidate("maria", "refund", status="away"),
        candidate("tom", "late_delivery", load=2),
        candidate("priya", "service", load=1),
    ]

    assert choose_agent(candidates, "refund", None) == RoutingDecision("priya", "any")


def test_without_a_category_anyone_least_loaded_is_chosen():
    candidates = [candidate("maria", "refund", load=1), candidate("tom", "late_delivery", load=0)]

    assert choose_agent(candidates, None, None) == RoutingDecision("tom", "any")


def test_any_uses_the_same_tie_breaks():
    candidates = [
        candidate("zed", load=1, max_chats=3),
        candidate("amy", load=2, max_chats=6),
        candidate("bob", load=1, max_chats=3),
    ]

    assert choose_agent(candidates, "refund", None) == RoutingDecision("bob", "any")
