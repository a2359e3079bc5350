from datetime import datetime, timezone

import pytest

from bot.handoff.hours import SupportHours

HOURS = SupportHours.parse(timezone="America/New_York", days=["mon", "tue", "wed", "thu", "fri"],
                           opens="09:00", closes="18:00")


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("moment, on_duty", [
    (utc(2026, 11, 23, 15, 0), True),    # Monday 10:00 in New York
    (utc(2026, 11, 23, 13, 59), False),  # Monday 08:59
    (utc(2026, 11, 23, 23, 0), False),   # Monday 18:00: closed
    (utc(2026, 11, 28, 16, 0), False),   # Saturday
])
def test_on_duty(moment, on_duty):
    assert HOURS.is_open(moment) is on_duty


def test_next_opening_is_said_in_words():
    assert HOURS.describe_next_opening(utc(2026, 11, 23, 12, 0)) == "today at 09:00 (EST)"
    assert HOURS.describe_next_opening(utc(2026, 11, 23, 23, 30)) == "tomorrow at 09:00 (EST)"
    assert HOURS.describe_next_opening(utc(2026, 11, 28, 12, 0)) == "on Monday at 09:00 (EST)"


@pytest.mark.parametrize("kwargs", [{"timezone": "Mars/Olympus"}, {"days": ["funday"]}, {"opens": "19:00"}])
def test_bad_schedules_are_refused(kwargs):
    values = {"timezone": "UTC", "days": ["mon"], "opens": "09:00", "closes": "18:00", **kwargs}
    with pytest.raises(Exception):
        SupportHours.parse(**values)


def test_a_team_on_duty_around_the_clock():
    always = SupportHours.parse(timezone="UTC", days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                opens="00:00", closes="24:00")
    assert all(always.is_open(utc(2026, 11, 23, hour, minute)) for hour in range(24) for minute in (0, 59))
    assert always.is_open(utc(2026, 11, 23, 23, 59, 59))
