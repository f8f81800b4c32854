"""The ``handoff:`` section of shop.yaml, validated into :class:`HandoffConfig`.

```yaml
handoff:
  timezone: Europe/Warsaw          # default: the shop's timezone
  hours: {mon: "09:00-17:00", tue: "09:00-17:00", sat: "10:00-14:00"}   # none: always open
  holidays: [2026-12-25, 2026-12-26]
  expected_wait: 5m                # said when there is no recent wait to go by
  fallbacks: 2                     # misunderstood messages in a row that call a person; 0: off
  angry: {enabled: true, threshold: 2, words: {en: [ridiculous]}}
  first_response_target: 5m        # notify when a ticket is about to miss it ...
  warn_before: 1m                  # ... this long before
  reassign_after: 3m               # an assigned agent silent this long loses the ticket
  reopen_within: 24h               # a shopper writing again this soon re-opens the ticket
  auto_assign: false               # true: waiting tickets go to the least busy online agent
  max_per_agent: 5                 # ... who holds fewer open tickets than this
  presence_ttl: 2m                 # an agent without a heartbeat this long is offline
  signature: "— {name}"            # appended to agents' replies; null: none
  priorities: {angry: 2, payment_help: 1}   # by reason or flow id; others 0
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flows import parse_duration

from .errors import HandoffConfigError
from .hours import DAYS, BusinessHours, parse_ranges

DEFAULT_PRIORITIES = {"angry": 2, "complaint": 2, "payment": 1, "payment_help": 1}


class _Angry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    threshold: int = 2
    words: dict[str, list[str]] = {}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    timezone: str | None = None
    hours: dict[str, str | list[str]] = {}
    holidays: list[date] = []
    expected_wait: str = "5m"
    fallbacks: int = 2
    angry: _Angry = _Angry()
    first_response_target: str = "5m"
    warn_before: str = "1m"
    reassign_after: str | None = "3m"
    reopen_within: str | None = "24h"
    auto_assign: bool = False
    max_per_agent: int = Field(default=5, ge=1, le=1000)
    presence_ttl: str = "2m"
    signature: str | None = "— {name}"
    priorities: dict[str, int] = {}
    sweep_interval: str = "15s"

    @field_validator("hours")
    @classmethod
    def _days(cls, value: dict[str, Any]) -> dict[str, Any]:
        for day in value:
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        return value


@dataclass(frozen=True)
class AngryConfig:
    enabled: bool = True
    threshold: int = 2
    words: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class HandoffConfig:
    """Everything the desk needs to know from shop.yaml (plus the notification env vars)."""

    hours: BusinessHours
    enabled: bool = True
    expected_wait: timedelta = timedelta(minutes=5)
    fallbacks: int = 2
    angry: AngryConfig = AngryConfig()
    first_response_target: timedelta = timedelta(minutes=5)
    warn_before: timedelta = timedelta(minutes=1)
    reassign_after: timedelta | None = timedelta(minutes=3)
    reopen_within: timedelta | None = timedelta(hours=24)
    # Off by default: an agent claims a ticket herself. On, a backlog is spread over the
    # online agents, at most ``max_per_agent`` open tickets each, never all to the first one.
    auto_assign: bool = False
    max_per_agent: int = 5
    presence_ttl: timedelta = timedelta(minutes=2)
    signature: str | None = "— {name}"
    priorities: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    sweep_interval: timedelta = timedelta(seconds=15)

    @classmethod
    def parse(
        cls, raw: dict[str, Any] | None, *, default_timezone: str = "UTC", source: Path | str = ""
    ) -> HandoffConfig:
        """Validate the ``handoff:`` mapping; raise :class:`HandoffConfigError` naming the key."""
        where = f"{source}: " if source else ""
        try:
            section = _Section.model_validate(raw or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in ("handoff", *first["loc"]))
            msg = first["msg"].removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                msg = f"unknown key (known: {', '.join(_Section.model_fields)})"
            raise HandoffConfigError(f"{where}{key}: {msg}") from None

        def duration(name: str, value: str | None) -> timedelta | None:
            if value is None:
                return None
            try:
                return parse_duration(value)
            except ValueError as exc:
                raise HandoffConfigError(f"{where}handoff.{name}: {exc}") from None

        tz_name = section.timezone or default_timezone
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise HandoffConfigError(
                f"{where}handoff.timezone: unknown time zone {tz_name!r}; "
                "use an IANA name like Europe/Warsaw"
            ) from None
        week: dict[str, list[Any]] = {}
        for day, value in section.hours.items():
            parts = value if isinstance(value, list) else [value]
            try:
                week[day] = [r for part in parts for r in parse_ranges(part)]
            except ValueError as exc:
                raise HandoffConfigError(f"{where}handoff.hours.{day}: {exc}") from None
        if section.hours and not any(week.values()):
            raise HandoffConfigError(
                f"{where}handoff.hours: every day is closed; remove 'hours' to be always open"
            )
        if section.fallbacks < 0 or section.angry.threshold < 1:
            raise HandoffConfigError(
                f"{where}handoff: fallbacks must be 0 (off) or more and angry.threshold 1 or more"
            )
        if section.signature is not None and "{name}" not in section.signature:
            raise HandoffConfigError(
                f"{where}handoff.signature: must contain {{name}}, like '— {{name}}'"
            )
        return cls(
            hours=BusinessHours(tz, week, frozenset(section.holidays)),
            enabled=section.enabled,
            expected_wait=duration("expected_wait", section.expected_wait) or timedelta(0),
            fallbacks=section.fallbacks,
            angry=AngryConfig(
                section.angry.enabled, section.angry.threshold, dict(section.angry.words)
            ),
            first_response_target=duration("first_response_target", section.first_response_target)
            or timedelta(minutes=5),
            warn_before=duration("warn_before", section.warn_before) or timedelta(0),
            reassign_after=duration("reassign_after", section.reassign_after),
            reopen_within=duration("reopen_within", section.reopen_within),
            auto_assign=section.auto_assign,
            max_per_agent=section.max_per_agent,
            presence_ttl=duration("presence_ttl", section.presence_ttl) or timedelta(minutes=2),
            signature=section.signature,
            priorities={**DEFAULT_PRIORITIES, **section.priorities},
            sweep_interval=duration("sweep_interval", section.sweep_interval)
            or timedelta(seconds=15),
        )


__all__ = ["AngryConfig", "HandoffConfig"]
