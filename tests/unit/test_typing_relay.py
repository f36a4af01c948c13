"""bot/gateway/typing_relay.py: alternating typing cannot flood the pub/sub channel, and
the agents end up seeing the visitor's latest state."""

from __future__ import annotations

import asyncio

from bot.gateway.typing_relay import TypingRelay

INTERVAL = 0.2


def relay_into(published: list[bool]) -> TypingRelay:
    async def publish(typing: bool) -> None:
        published.append(typing)

    return TypingRelay(INTERVAL, publish)


async def test_a_burst_of_alternating_states_is_two_messages_ending_on_the_latest():
    published: list[bool] = []
    relay = relay_into(published)

    for number in range(1000):
        await relay.offer(number % 2 == 0)  # ends on False
    await relay.settled()

    assert published == [True, False]


async def test_a_burst_that_ends_where_it_started_is_one_message():
    published: list[bool] = []
    relay = relay_into(published)

    for typing in (True, False, True, False, True):
        await relay.offer(typing)
    await relay.settled()

    assert published == [True]


async def test_after_a_quiet_interval_a_change_goes_out_at_once():
    published: list[bool] = []
    relay = relay_into(published)
    await relay.offer(True)
    await asyncio.sleep(INTERVAL * 1.5)

    await relay.offer(False)

    assert published == [True, False]


async def test_a_repeat_of_the_state_passed_on_is_dropped():
    published: list[bool] = []
    relay = relay_into(published)
    await relay.offer(True)
    await asyncio.sleep(INTERVAL * 1.5)

    await relay.offer(True)  # the widget repeats true while the visitor types

    assert published == [True]


async def test_a_closed_relay_passes_nothing_more_on():
    published: list[bool] = []
    relay = relay_into(published)
    await relay.offer(True)
    await relay.offer(False)

    relay.close()
    await asyncio.sleep(INTERVAL * 1.5)

    assert published == [True]
