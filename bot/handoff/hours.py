"""Business hours: when people answer, and when they will next be there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_ranges(text: str) -> list[tuple[time, time]]:
    """``"09:00-17:00"`` or ``"09:00-12:00, 13:00-17:00"``; ``closed`` or empty for none.

    Raises ValueError saying what a valid value looks like.
    """
    if text.strip().lower() in ("", "closed", "off"):
        return []
    ranges = []
    for part in text.split(","):
        m = _RANGE.match(part)
        if not m:
            raise ValueError(f"{part.strip()!r} is not a range like 09:00-17:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if not (h1 < 24 and m1 < 60 and (h2 < 24 or (h2 == 24 and m2 == 0)) and m2 < 60):
            raise ValueError(f"{part.strip()!r} has an impossible time")
        start = time(h1, m1)
        end = time.max if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"{part.strip()!r} ends before it starts")
        ranges.append((start, end))
    return sorted(ranges)


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours per weekday in the shop's time zone, minus holidays.

    No hours at all means always open.
    """

    tz: ZoneInfo
    week: dict[str, list[tuple[time, time]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not self.week

    def is_open(self, now: datetime) -> bool:
        if self.always_open:
            return True
        local = now.astimezone(self.tz)
        if local.date() in self.holidays:
            return False
        day = DAYS[local.weekday()]
        t = local.time().replace(tzinfo=None)
        return any(start <= t < end for start, end in self.week.get(day, []))

    def next_opening(self, now: datetime) -> datetime | None:
        """When people are next there (``now`` if open now); None if never within a year."""
        if self.is_open(now):
            return now
        local = now.astimezone(self.tz)
        for offset in range(366):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _end in self.week.get(DAYS[day.weekday()], []):
                opening = datetime.combine(day, start, self.tz)
                if opening > local:
                    return opening
        return None


__all__ = ["DAYS", "BusinessHours", "parse_ranges"]
