"""The services actions use, created lazily on first use (nothing at import time)."""

from __future__ import annotations

import asyncio

import redis.asyncio as redis

from bot.agents.presence import Presence, presence_times_from_environment
from bot.agents.roster import RosterCache, roster_file_path
from bot.business import BusinessRules, BusinessRulesCache, business_file_path
from bot.business_hours import BusinessHours, BusinessHoursCache
from bot.case_records import CaseRecords
from bot.frustration import FrustrationMeter
from bot.handoff.desk import HandoffDesk
from bot.handoff.reservation import reservation_seconds_from_environment
from bot.settings import Settings
from bot.transcript import Transcript

_rules_cache: BusinessRulesCache | None = None
_hours_cache: BusinessHoursCache | None = None
_records: dict[int, CaseRecords] = {}


def business_rules() -> BusinessRules:
    """The current business rules; re-read when ``business.yml`` changes."""
    global _rules_cache
    if _rules_cache is None or _rules_cache.path != business_file_path():
        _rules_cache = BusinessRulesCache(business_file_path())
    return _rules_cache.get()


def business_hours() -> BusinessHours | None:
    """The business hours (``hours:`` in ``business.yml``); re-read when it changes."""
    global _hours_cache
    if _hours_cache is None or _hours_cache.path != business_file_path():
        _hours_cache = BusinessHoursCache(business_file_path())
    return _hours_cache.get()


def case_records() -> CaseRecords:
    """The Redis-backed records for the running event loop.

    One client per loop: an asyncio Redis connection cannot move between loops.
    """
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _records:
        _records[loop_id] = CaseRecords.from_url(Settings.from_environment().redis_url)
    return _records[loop_id]


_desks: dict[int, HandoffDesk] = {}
_meter: FrustrationMeter | None = None


def handoff_desk() -> HandoffDesk:
    """The handoff desk (routing, queue, transcript) for the running event loop."""
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _desks:
        client = redis.Redis.from_url(Settings.from_environment().redis_url)
        _desks[loop_id] = HandoffDesk(
            client,
            Transcript(client),
            RosterCache(roster_file_path()),
            Presence(client, presence_times_from_environment()),
            hours=business_hours,
            reservation_seconds=reservation_seconds_from_environment(),
        )
    return _desks[loop_id]


def frustration_meter() -> FrustrationMeter:
    global _meter
    if _meter is None:
        _meter = FrustrationMeter()
    return _meter
