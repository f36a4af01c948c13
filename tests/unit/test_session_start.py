"""actions/session_start.py: a new session keeps the slots and knows the company's name."""

from __future__ import annotations

from actions.session_start import ActionSessionStart
from tests.unit.builders import make_tracker


async def test_a_session_start_carries_the_slots_over_and_sets_the_company(dispatcher, domain):
    tracker = make_tracker(
        slots={
            "order_id": "48213",
            "complaint_open": True,
            "complaint_categories": ["billing"],
            "company_name": "Old Name Ltd",
            "product": None,
        }
    )

    events = await ActionSessionStart().run(dispatcher, tracker, domain)

    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    slots = [(event["name"], event["value"]) for event in events if event["event"] == "slot"]
    assert slots == [
        ("order_id", "48213"),
        ("complaint_open", True),
        ("complaint_categories", ["billing"]),
        ("company_name", "Northwind Home"),
    ]
    assert dispatcher.messages == []


async def test_slots_are_not_carried_over_when_the_domain_says_not_to(dispatcher, domain):
    tracker = make_tracker(slots={"order_id": "48213"})
    no_carry_over = {**domain, "session_config": {"carry_over_slots_to_new_session": False}}

    events = await ActionSessionStart().run(dispatcher, tracker, no_carry_over)

    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    assert slots == {"company_name": "Northwind Home"}


def test_the_domain_asks_for_slots_to_be_carried_over(domain):
    assert domain["session_config"]["carry_over_slots_to_new_session"] is True
