"""When the team works: the ``hours:`` section of ``business.yml``.

::

    hours:
      time_zone: America/New_York       # an IANA zone; times below are local to it
      weekly:                           # a day left out (or "closed") is closed
        monday: 9:00-18:00
        saturday: closed
      closed_on: [2025-12-25]           # holidays, local dates

Read node by node like bot/business.py, so every mistake names its line. A file
without ``hours:`` means the team keeps no hours (always open). Everything here
takes the moment it is asked about, so tests fix the clock. No rasa import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.business import BusinessRulesError
from bot.config_files import ReloadingFile, compose_document

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LOOK_AHEAD_DAYS = 400
"""How far ahead the next opening is searched (a long holiday list stays finite)."""
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class BusinessHoursError(BusinessRulesError):
    """The ``hours:`` section of the business file is malformed."""


@dataclass(frozen=True)
class OpeningTimes:
    """One day's opening, local time: ``opens`` ≤ t < ``closes``."""

    opens: time
    closes: time


@dataclass(frozen=True)
class BusinessHours:
    time_zone: ZoneInfo
    weekly: dict[int, OpeningTimes]
    """Weekday (0 = Monday) → opening times; missing days are closed."""
    closed_on: frozenset[date]

    @property
    def place(self) -> str:
        """``America/New_York`` → ``New York``: how customers know the time zone."""
        return str(self.time_zone.key).rsplit("/", 1)[-1].replace("_", " ")

    def local(self, at: datetime) -> datetime:
        """``at`` (naive means UTC) in the business's time zone."""
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return at.astimezone(self.time_zone)

    def opening_on(self, day: date) -> OpeningTimes | None:
        if day in self.closed_on:
            return None
        return self.weekly.get(day.weekday())

    def is_open(self, at: datetime) -> bool:
        now = self.local(at)
        opening = self.opening_on(now.date())
        return opening is not None and opening.opens <= now.time() < opening.closes

    def next_opening(self, at: datetime) -> datetime:
        """The next moment the team starts work, at or after ``at`` (local time)."""
        now = self.local(at)
        for offset in range(LOOK_AHEAD_DAYS):
            day = now.date() + timedelta(days=offset)
            opening = self.opening_on(day)
            if opening is None:
                continue
            start = datetime.combine(day, opening.opens, tzinfo=self.time_zone)
            if start >= now:
                return start
        raise BusinessHoursError(f"no opening within {LOOK_AHEAD_DAYS} days")

    def back_at(self, at: datetime) -> str:
        """When the team is back, as a customer reads it: ``on Monday at 9:00 (New
        York time)``, ``tomorrow at 9:00 (…)``, ``today at 9:00 (…)``."""
        now = self.local(at)
        start = self.next_opening(at)
        days = (start.date() - now.date()).days
        clock = f"{start.hour}:{start.minute:02d}"
        if days == 0:
            when = "today"
        elif days == 1:
            when = "tomorrow"
        elif days < 7:
            when = f"on {start:%A}"
        else:
            when = f"on {start:%A} {start.day} {start:%B}"
        return f"{when} at {clock} ({self.place} time)"


ALWAYS_OPEN: BusinessHours | None = None
"""What a business file without ``hours:`` gives: no hours are kept."""


def _fail(path: Path, node: Node, message: str) -> BusinessHoursError:
    return BusinessHoursError(f"{path}, line {node.start_mark.line + 1}: {message}")


def _scalar(path: Path, node: Node, what: str) -> str:
    if not isinstance(node, ScalarNode) or not str(node.value).strip():
        raise _fail(path, node, f"{what} must be a non-empty text")
    return str(node.value).strip()


def _mapping(path: Path, node: Node, what: str) -> dict[str, tuple[Node, Node]]:
    if not isinstance(node, MappingNode):
        raise _fail(path, node, f"{what} must be a mapping of keys to values")
    found: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in found:
            raise _fail(path, key_node, f"{what} has '{key}' twice")
        found[key] = (key_node, value_node)
    return found


def _opening(path: Path, node: Node, day: str) -> OpeningTimes | None:
    text = _scalar(path, node, f"hours.weekly.{day}")
    if text.lower() == "closed":
        return None
    match = _RANGE.match(text)
    if match is None:
        raise _fail(path, node, f"hours.weekly.{day} must look like 9:00-18:00 or closed")
    hour_a, minute_a, hour_b, minute_b = (int(part) for part in match.groups())
    if hour_a > 23 or hour_b > 24 or minute_a > 59 or minute_b > 59:
        raise _fail(path, node, f"hours.weekly.{day} has a time that does not exist: {text}")
    opens = time(hour_a, minute_a)
    closes = time.max if (hour_b, minute_b) == (24, 0) else time(hour_b % 24, minute_b)
    if (hour_b, minute_b) != (24, 0) and (hour_b > 23 or closes <= opens):
        raise _fail(path, node, f"hours.weekly.{day} must close after it opens: {text}")
    return OpeningTimes(opens, closes)


def parse_business_hours(source: str, path: Path) -> BusinessHours | None:
    """The ``hours:`` section of a business file's text (``None`` when it has none)."""
    root = compose_document(source, path, BusinessHoursError)
    top = _mapping(path, root, "the file")
    if "hours" not in top:
        return ALWAYS_OPEN
    hours_key, hours_node = top["hours"]
    fields = _mapping(path, hours_node, "hours")
    for key, (key_node, _) in fields.items():
        if key not in ("time_zone", "weekly", "closed_on"):
            raise _fail(path, key_node, f"hours has an unknown key '{key}'")
    if "time_zone" not in fields:
        raise _fail(path, hours_key, "hours is missing 'time_zone'")
    zone_node = fields["time_zone"][1]
    zone_name = _scalar(path, zone_node, "hours.time_zone")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(
            path, zone_node, f"hours.time_zone '{zone_name}' is not a time zone (America/New_York)"
        ) from None
    if "weekly" not in fields:
        raise _fail(path, hours_key, "hours is missing 'weekly'")
    weekly_node = fields["weekly"][1]
    weekly: dict[int, OpeningTimes] = {}
    for day, (day_node, value_node) in _mapping(path, weekly_node, "hours.weekly").items():
        if day.lower() not in WEEKDAYS:
            raise _fail(path, day_node, f"hours.weekly has '{day}', which is not a weekday")
        opening = _opening(path, value_node, day)
        if opening is not None:
            weekly[WEEKDAYS.index(day.lower())] = opening
    if not weekly:
        raise _fail(path, weekly_node, "hours.weekly must open on at least one day")
    return BusinessHours(
        time_zone=zone, weekly=weekly, closed_on=_holidays(path, fields.get("closed_on"))
    )


def _holidays(path: Path, entry: tuple[Node, Node] | None) -> frozenset[date]:
    if entry is None:
        return frozenset()
    node = entry[1]
    if not isinstance(node, SequenceNode):
        raise _fail(path, node, "hours.closed_on must be a list of dates like 2025-12-25")
    days = set()
    for item in node.value:
        text = _scalar(path, item, "each of hours.closed_on")
        try:
            days.add(date.fromisoformat(text))
        except ValueError:
            raise _fail(
                path, item, f"hours.closed_on has '{text}', not a date like 2025-12-25"
            ) from None
    return frozenset(days)


def load_business_hours(path: Path) -> BusinessHours | None:
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BusinessHoursError(
            f"{path}: cannot read the business file ({error.strerror})"
        ) from None
    return parse_business_hours(source, path)


class BusinessHoursCache(ReloadingFile["BusinessHours | None"]):
    """The current hours, re-read whenever the business file changes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, load_business_hours, BusinessHoursError, "business file")
