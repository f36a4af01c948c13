"""A name is a promise: a chat routed to a named agent is reserved for them for a while
(bot/ownership.py, bot/handoff/reservation.py), and the queue line a waiting customer
hears fits the situation and the business hours (bot/handoff/desk.py). Real Redis."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from bot.agents.presence import Presence
from bot.business import DEFAULT_BUSINESS_FILE
from bot.business_hours import load_business_hours
from bot.handoff import announcements
from bot.handoff.desk import HandoffDesk
from bot.handoff.reservation import (
    DEFAULT_RESERVATION_SECONDS,
    reservation_in,
    reservation_seconds_from_environment,
)
from bot.ownership import QUEUED, owner_of
from bot.transcript import Transcript
from tests.unit.test_handoff_desk import (  # noqa: F401 (fixtures)
    CUSTOMER,
    LONG,
    SESSION,
    db,
    events,
    fields,
    kicks,
    maria,
    online,
    published,
    roster,
    tom,
)

SATURDAY_NOON_IN_NEW_YORK = datetime(2026, 3, 7, 17, 0, tzinfo=timezone.utc)
MONDAY_MORNING_IN_NEW_YORK = datetime(2026, 3, 9, 14, 0, tzinfo=timezone.utc)


def make_desk(db, roster, window: float = DEFAULT_RESERVATION_SECONDS) -> HandoffDesk:  # noqa: F811
    return HandoffDesk(
        db,
        Transcript(db),
        roster,
        Presence(db, LONG),
        hours=lambda: load_business_hours(DEFAULT_BUSINESS_FILE),
        reservation_seconds=window,
    )


async def queued_to(desk: HandoffDesk, category: str = "damaged_item") -> str | None:
    routed = await desk.route(category, CUSTOMER)
    assert (await desk.queue_conversation(SESSION, routed, fields(category))).ok
    return routed.agent.agent_id if routed.agent else None


# Reservations


async def test_only_the_named_agent_may_claim_during_the_window(db, roster, tom, maria):  # noqa: F811
    desk = make_desk(db, roster)
    await online(db, "tom", "maria")
    assert await queued_to(desk) == "tom"

    refused = await desk.claim(SESSION, maria)
    assert (refused.ok, refused.status) == (False, "reserved")
    assert await owner_of(db, SESSION) == QUEUED

    assert (await desk.claim(SESSION, tom)).ok
    assert await owner_of(db, SESSION) == "agent:tom"


async def test_anyone_may_claim_once_the_window_is_over(db, roster, maria):  # noqa: F811
    desk = make_desk(db, roster, window=0.01)
    await online(db, "tom", "maria")
    await queued_to(desk)
    stored = await desk.queue.handoff(SESSION)
    assert reservation_in(stored, float(stored["reserved_until"]) + 1) is None

    await _later(0.05)
    assert (await desk.claim(SESSION, maria)).ok


async def test_a_chat_queued_with_nobody_free_is_reserved_for_nobody(db, roster, maria):  # noqa: F811
    desk = make_desk(db, roster)
    assert await queued_to(desk) is None
    assert (await desk.queue.entries())[0].reserved_until is None
    assert (await desk.claim(SESSION, maria)).ok


async def test_the_queue_shows_the_reservation_to_agents(db, roster):  # noqa: F811
    desk = make_desk(db, roster)
    await online(db, "tom")
    await queued_to(desk)

    [entry] = await desk.queue.entries()

    assert entry.routed_to == "tom"
    assert entry.reserved_until is not None and entry.reserved_until.endswith("Z")
    assert entry.to_json()["reserved_until"] == entry.reserved_until


async def test_a_lapsed_reservation_is_announced_once_without_a_name(db, roster, events):  # noqa: F811
    desk = make_desk(db, roster, window=0.01)
    desk.clock = lambda: MONDAY_MORNING_IN_NEW_YORK
    other = make_desk(db, roster, window=0.01)  # another gateway sweeping too
    await online(db, "tom")
    await queued_to(desk)
    await published(events, db)
    await _later(0.05)

    counts = [await desk.lapse_reservations(), await other.lapse_reservations()]

    assert sorted(counts) == [0, 1]
    [line] = [e for e in await desk.transcript.all(SESSION) if e.body.get("handoff")]
    handoff = line.body["handoff"]
    assert handoff["state"] == "queued"
    assert handoff["reason"] == "reservation_lapsed"
    assert "agent" not in handoff
    assert "Tom" not in handoff["text"]
    assert "open to the next colleague who is free" in handoff["text"]
    assert await published(events, db) == [{"type": "queue_changed", "session_id": SESSION}]
    stored = await desk.queue.handoff(SESSION)
    assert "routed_to" not in stored and "reserved_until" not in stored
    assert stored["lapsed_from"] == "tom"
    assert (await desk.queue.entries())[0].routed_to is None


async def test_a_reservation_lapses_early_when_its_agent_goes_away(db, roster):  # noqa: F811
    desk = make_desk(db, roster)
    await online(db, "tom")
    await queued_to(desk)
    assert await desk.lapse_reservations() == 0  # Tom is online and the window runs

    await Presence(db, LONG).set_status("tom", "away")

    assert await desk.lapse_reservations() == 1


async def test_a_claimed_chat_does_not_lapse(db, roster, tom):  # noqa: F811
    desk = make_desk(db, roster, window=0.01)
    await online(db, "tom")
    await queued_to(desk)
    assert (await desk.claim(SESSION, tom)).ok
    await _later(0.05)

    assert await desk.lapse_reservations() == 0


def test_the_window_is_a_setting(monkeypatch):
    monkeypatch.delenv("HANDOFF_RESERVATION_SECONDS", raising=False)
    assert reservation_seconds_from_environment() == 90
    monkeypatch.setenv("HANDOFF_RESERVATION_SECONDS", "30")
    assert reservation_seconds_from_environment() == 30
    monkeypatch.setenv("HANDOFF_RESERVATION_SECONDS", "soon")
    with pytest.raises(ValueError, match="HANDOFF_RESERVATION_SECONDS"):
        reservation_seconds_from_environment()


# What the waiting customer is told


async def test_a_reserved_chat_is_told_who_joins_not_a_place(db, roster, tom):  # noqa: F811
    desk = make_desk(db, roster)
    await online(db, "tom")
    await queued_to(desk)

    place = await desk.queue_place(SESSION)

    assert place is not None and place.reserved_for == tom
    assert place.line == announcements.will_join(tom)
    assert "queue" not in place.line


async def test_on_saturday_with_nobody_online_the_team_is_back_on_monday(db, roster):  # noqa: F811
    desk = make_desk(db, roster)
    desk.clock = lambda: SATURDAY_NOON_IN_NEW_YORK
    await queued_to(desk)

    place = await desk.queue_place(SESSION)

    assert place is not None
    assert place.back_at == "on Monday at 9:00 (New York time)"
    assert place.line == (
        "You're next in line. Our team is back on Monday at 9:00 (New York time), and a "
        "colleague will pick your chat up then."
    )
    said = announcements.nobody_free(place.position, place.wait_seconds, place.back_at)
    assert "busy" not in said and "online" not in said
    assert said.count("next in line") == 1


async def test_in_open_hours_with_nobody_online_no_time_is_promised(db, roster):  # noqa: F811
    desk = make_desk(db, roster)
    desk.clock = lambda: MONDAY_MORNING_IN_NEW_YORK
    await queued_to(desk)

    place = await desk.queue_place(SESSION)

    assert place is not None and place.back_at is None
    said = announcements.nobody_free(place.position, place.wait_seconds, place.back_at)
    assert said.startswith("Nobody from the team is online right now")
    assert "busy" not in said and "back on" not in said


async def test_with_everyone_online_busy_the_place_and_a_realistic_wait(db, roster, maria):  # noqa: F811
    desk = make_desk(db, roster)
    desk.clock = lambda: SATURDAY_NOON_IN_NEW_YORK  # someone working on Saturday
    await online(db, "maria")
    await Presence(db, LONG).set_status("tom", "away")
    for index in range(maria.max_chats):
        session = f"busy-{index}"
        assert (await desk.ownership.queue(session, {})).ok
        assert (await desk.ownership.claim(session, "maria", maria.max_chats)).ok
    await queued_to(desk)

    place = await desk.queue_place(SESSION)

    assert place is not None and place.reserved_for is None
    assert place.wait_seconds is not None and place.back_at is None
    said = announcements.nobody_free(place.position, place.wait_seconds, place.back_at)
    assert said.startswith("Everyone on the team is busy with other customers right now.")
    assert "The wait is about" in said
    assert "online" not in said and "back on" not in said


async def _later(seconds: float) -> None:
    await asyncio.sleep(seconds)
