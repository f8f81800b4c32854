"""Business hours, the away message, and the ``handoff:`` settings in shop.yaml."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import ProjectUnusable
from bot.handoff import HandoffConfig, HandoffConfigError
from tests.handoff_support import Clock, call, desk, running_shop

HOURS = """\
  timezone: Europe/Warsaw
  hours: {mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00", thu: "09:00-17:00",
          fri: "09:00-12:00, 13:00-17:00", sat: closed}
  holidays: [2026-12-25]
"""


def hours():
    return HandoffConfig.parse(
        {
            "timezone": "Europe/Warsaw",
            "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu")}
            | {"fri": "09:00-12:00, 13:00-17:00"},
            "holidays": ["2026-12-25"],
        }
    ).hours


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2026, 12, 21, 7, 59), False),  # Monday 08:59 in Warsaw (UTC+1)
        (utc(2026, 12, 21, 8, 0), True),  # Monday 09:00
        (utc(2026, 12, 21, 15, 59), True),
        (utc(2026, 12, 21, 16, 0), False),  # 17:00: closed
        (utc(2026, 12, 18, 11, 30), False),  # Friday lunch break
        (utc(2026, 12, 25, 10, 0), False),  # Christmas, a Friday
        (utc(2026, 12, 26, 10, 0), False),  # Saturday
        (utc(2026, 7, 6, 7, 30), True),  # summer time: 09:30 in Warsaw (UTC+2)
    ],
)
def test_business_hours_follow_the_shops_time_zone_and_holidays(moment, is_open):
    assert hours().is_open(moment) is is_open


def test_the_next_opening_skips_holidays_and_weekends():
    h = hours()
    assert h.next_opening(utc(2026, 12, 21, 7, 0)) == datetime.fromisoformat(
        "2026-12-21T09:00+01:00"
    )
    after_christmas = h.next_opening(utc(2026, 12, 24, 17, 0))  # Thursday 18:00
    assert after_christmas == datetime.fromisoformat("2026-12-28T09:00+01:00")
    assert h.next_opening(utc(2026, 12, 18, 11, 30)) == datetime.fromisoformat(
        "2026-12-18T13:00+01:00"
    )


def test_no_hours_means_always_open():
    assert HandoffConfig.parse({}).hours.is_open(utc(2026, 12, 25, 3, 0))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"hours": {"monday": "09:00-17:00"}}, "handoff.hours: unknown day 'monday'"),
        ({"hours": {"mon": "9-17"}}, "handoff.hours.mon: '9-17' is not a range like 09:00-17:00"),
        ({"hours": {"mon": "17:00-09:00"}}, "ends before it starts"),
        ({"hours": {"mon": "25:00-26:00"}}, "impossible time"),
        ({"holidays": ["Christmas"]}, "handoff.holidays.0"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"expected_wait": "soon"}, "handoff.expected_wait: 'soon' is not a duration"),
        ({"fallback": 2}, "handoff.fallback: unknown key"),
        ({"signature": "-- agent"}, "must contain {name}"),
    ],
)
def test_bad_settings_are_reported_with_the_key_and_the_fix(raw, message):
    with pytest.raises(HandoffConfigError, match=message.replace("(", r"\(").replace("{", r"\{")):
        HandoffConfig.parse(raw, source="shop.yaml")


def test_a_shop_with_bad_handoff_settings_does_not_start(tmp_path):
    with (
        pytest.raises(ProjectUnusable, match=r"shop.yaml: handoff.hours.tue"),
        running_shop(tmp_path, '  hours: {tue: "nine to five"}\n'),
    ):
        pass


def test_inside_hours_the_shopper_gets_the_wait(tmp_path):
    with running_shop(tmp_path, HOURS, clock=Clock(utc(2026, 12, 21, 9, 30))) as shop:
        turn = shop.telegram(first_name="Ana").say("human")
        assert turn.texts == [
            "Thanks, Ana! I'm passing you to a person from our team. Expected wait: about 5 min."
        ]
        assert call(shop, desk(shop).tickets)[0].away is False


def test_outside_hours_the_shopper_hears_when_someone_will_answer_and_the_bot_carries_on(tmp_path):
    with running_shop(tmp_path, HOURS, clock=Clock(utc(2026, 12, 25, 10, 0))) as shop:
        ana = shop.telegram(first_name="Ana")
        turn = ana.say("human")
        assert turn.texts == [
            "Thanks, Ana! Our team is away right now; someone will answer here when we open "
            "(Monday 28 December, 09:00). Meanwhile, you can carry on with me."
        ]
        ticket = call(shop, desk(shop).tickets)[0]
        assert ticket.away and ticket.state == "waiting"
        assert "Who is the gift for?" in ana.say("gift").said  # the bot carries on
        call(shop, desk(shop).claim, ticket.id, "ann")
        assert ana.say("hello").texts == []  # a person has it now
        lines = [line.text for line in call(shop, desk(shop).ticket, ticket.id).transcript]
        assert "gift" in lines and "hello" in lines


def test_the_away_message_is_in_the_shoppers_language_and_the_shops_time(tmp_path):
    friday_evening = Clock(utc(2026, 12, 18, 18, 0))  # 19:00 in Warsaw
    with running_shop(tmp_path, HOURS, clock=friday_evening) as shop:
        turn = shop.telegram(first_name="Ola", language_code="pl").say("konsultant")
        assert turn.texts[0].startswith("Dziękuję, Ola! Naszego zespołu teraz nie ma")
        assert "(poniedziałek 21 grudnia, 09:00)" in turn.texts[0]
        ru = shop.telegram(chat_id=77, first_name="Иван", language_code="ru").say("оператор")
        assert "(понедельник 21 декабря, 09:00)" in ru.texts[0]


def test_mid_question_outside_hours_the_engines_offer_to_continue_is_kept_once(tmp_path):
    with running_shop(tmp_path, HOURS, clock=Clock(utc(2026, 12, 25, 10, 0))) as shop:
        ana = shop.telegram(first_name="Ana")
        ana.say("gift")
        turn = ana.say("human")
        assert len(turn.texts) == 2
        assert "Our team is away" in turn.texts[0] and "Meanwhile" not in turn.texts[0]
        assert turn.texts[1].startswith("Meanwhile, you can carry on with me.")
        assert turn.labels == ["Continue", "Main menu"]
        assert ana.press("Continue").texts == ["Who is the gift for?"]


def test_mid_question_inside_hours_the_bot_offers_nothing_more(tmp_path):
    with running_shop(tmp_path, HOURS, clock=Clock(utc(2026, 12, 21, 9, 30))) as shop:
        ana = shop.telegram(first_name="Ana")
        ana.say("gift")
        turn = ana.say("human")
        assert len(turn.texts) == 1 and turn.options == []
        assert ana.say("A child").texts == []  # waiting for a person: the bot is quiet


def test_a_ticket_opened_while_away_is_due_after_the_next_opening(tmp_path):
    clock = Clock(utc(2026, 12, 18, 18, 0))  # Friday 19:00 in Warsaw
    with running_shop(tmp_path, HOURS, clock=clock) as shop:
        shop.telegram().say("human")
        call(shop, desk(shop).sweep)
        shop.hooks.received.clear()  # the new-ticket notifications
        clock.now = utc(2026, 12, 21, 8, 3)  # Monday 09:03
        call(shop, desk(shop).sweep)
        assert shop.hooks.received == []
        clock.now = utc(2026, 12, 21, 8, 4)  # 09:04: due at 09:05, warned a minute before
        call(shop, desk(shop).sweep)
        webhook = [b["event"] for h, _hd, b in shop.hooks.received if h == "desk.test"]
        assert webhook == ["first_response_due"] and len(shop.hooks.received) == 2
