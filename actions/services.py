"""The services actions use, created lazily on first use (nothing at import time)."""

from __future__ import annotations

import asyncio

from bot.business import BusinessRules, BusinessRulesCache, business_file_path
from bot.case_records import CaseRecords
from bot.settings import Settings

_rules_cache: BusinessRulesCache | None = None
_records: dict[int, CaseRecords] = {}


def business_rules() -> BusinessRules:
    """The current business rules; re-read when ``business.yml`` changes."""
    global _rules_cache
    if _rules_cache is None or _rules_cache.path != business_file_path():
        _rules_cache = BusinessRulesCache(business_file_path())
    return _rules_cache.get()


def case_records() -> CaseRecords:
    """The Redis-backed records for the running event loop.

    One client per loop: an asyncio Redis connection cannot move between loops.
    """
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _records:
        _records[loop_id] = CaseRecords.from_url(Settings.from_environment().redis_url)
    return _records[loop_id]
