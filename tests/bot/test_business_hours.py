"""Time counted in the support team's working hours (bot/handoff/hours.py), which the SLA clocks run on."""
from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff.hours import SupportHours

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
EVERY_DAY = WEEKDAYS + ["sat", "sun"]
# Monday to Friday, 9:00-18:00 in New York (knowledge_base/store.yml). 23 November 2026 is a Monday (EST,
# UTC-5): 09:00 there is 14:00 UTC.
NEW_YORK = SupportHours.parse(timezone="America/New_York", days=WEEKDAYS, opens="09:00", closes="18:00")
ALWAYS = SupportHours.parse(timezone="Europe/Berlin", days=EVERY_DAY, opens="00:00", closes="24:00")


def utc(*args):
    """A naive UTC time, as the database keeps them."""
    return datetime(*args)


MINUTE, HOUR = 60, 3600


@pytest.mark.parametrize("start, seconds, due", [
    (utc(2026, 11, 23, 15, 0), 5 * MINUTE, utc(2026, 11, 23, 15, 5)),     # Monday 10:00 -> 10:05
    (utc(2026, 11, 27, 22, 58), 5 * MINUTE, utc(2026, 11, 30, 14, 3)),    # Friday 17:58 -> Monday 09:03
    (utc(2026, 11, 23, 12, 0), 5 * MINUTE, utc(2026, 11, 23, 14, 5)),     # Monday 07:00 -> 09:05
    (utc(2026, 11, 28, 17, 0), HOUR, utc(2026, 11, 30, 15, 0)),           # Saturday -> Monday 10:00
    (utc(2026, 11, 23, 22, 55), 5 * MINUTE, utc(2026, 11, 23, 23, 0)),    # 17:55 -> 18:00 the same day
    (utc(2026, 11, 23, 23, 0), MINUTE, utc(2026, 11, 24, 14, 1)),         # at closing -> next morning
    (utc(2026, 11, 23, 15, 0), 24 * HOUR, utc(2026, 11, 25, 21, 0)),      # 8 + 9 + 7 h: Wednesday 16:00
    (utc(2026, 11, 23, 15, 0), 72 * HOUR, utc(2026, 12, 3, 15, 0)),       # eight working days: Thursday 10:00
])
def test_adding_business_time_skips_nights_and_weekends(start, seconds, due):
    assert NEW_YORK.add_business_seconds(start, seconds) == due
    assert NEW_YORK.business_seconds_between(start, due) == seconds


def test_time_between_counts_only_working_hours_and_has_a_sign():
    friday_five, monday_ten = utc(2026, 11, 27, 22, 0), utc(2026, 11, 30, 15, 0)
    assert NEW_YORK.business_seconds_between(friday_five, monday_ten) == 2 * HOUR
    assert NEW_YORK.business_seconds_between(monday_ten, friday_five) == -2 * HOUR
    saturday, sunday = utc(2026, 11, 28, 15, 0), utc(2026, 11, 29, 20, 0)
    assert NEW_YORK.business_seconds_between(saturday, sunday) == 0
    assert NEW_YORK.business_seconds_between(monday_ten, monday_ten) == 0


def test_naive_times_are_utc_and_aware_ones_are_answered_in_utc():
    aware = NEW_YORK.add_business_seconds(datetime(2026, 11, 27, 22, 58, tzinfo=timezone.utc), 300)
    assert aware == datetime(2026, 11, 30, 14, 3, tzinfo=timezone.utc) and aware.tzinfo is not None
    local_friday = datetime.fromisoformat("2026-11-27T17:58:00-05:00")
    assert NEW_YORK.add_business_seconds(local_friday, 300) == aware
    assert NEW_YORK.add_business_seconds(utc(2026, 11, 28, 12, 0), 0) == utc(2026, 11, 28, 12, 0)


def test_a_team_on_duty_around_the_clock_counts_real_time_across_daylight_saving():
    # Berlin moves its clocks forward on 29 March 2026 (a 23-hour day) and back on 25 October (25 hours).
    for start in (utc(2026, 3, 28, 22, 30), utc(2026, 10, 24, 21, 0), utc(2026, 11, 23, 23, 59, 59)):
        for seconds in (1, 59 * MINUTE, 24 * HOUR, 72 * HOUR + 17):
            assert ALWAYS.add_business_seconds(start, seconds) == start + timedelta(seconds=seconds)
            assert ALWAYS.business_seconds_between(start, start + timedelta(seconds=seconds)) == seconds
    spring_day = (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0))  # local midnight to midnight
    autumn_day = (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0))
    assert ALWAYS.business_seconds_between(*spring_day) == 23 * HOUR
    assert ALWAYS.business_seconds_between(*autumn_day) == 25 * HOUR


def test_working_hours_that_span_a_clock_change_are_as_long_as_they_really_are():
    # Sundays 00:00-06:00 in New York: 5 real hours on 8 March 2026 (02:00 jumps to 03:00), 7 on 1 November.
    night = SupportHours.parse(timezone="America/New_York", days=["sun"], opens="00:00", closes="06:00")
    assert night.business_seconds_between(utc(2026, 3, 7), utc(2026, 3, 9)) == 5 * HOUR
    assert night.business_seconds_between(utc(2026, 10, 31), utc(2026, 11, 2)) == 7 * HOUR
    # Opening at 05:00 on 8 March is 09:00 UTC (EDT), a week earlier it was 10:00 UTC (EST).
    assert night.add_business_seconds(utc(2026, 3, 7), HOUR) == utc(2026, 3, 8, 6, 0)
    assert night.add_business_seconds(utc(2026, 3, 7), 5 * HOUR) == utc(2026, 3, 8, 10, 0)  # 06:00 EDT
    assert night.add_business_seconds(utc(2026, 2, 28), 6 * HOUR) == utc(2026, 3, 1, 11, 0)  # 06:00 EST


def test_business_hours_across_the_change_in_new_york():
    # Friday 6 March 17:00 EST (22:00 UTC) plus two working hours: Monday 9 March 10:00 EDT (14:00 UTC).
    assert NEW_YORK.add_business_seconds(utc(2026, 3, 6, 22, 0), 2 * HOUR) == utc(2026, 3, 9, 14, 0)


def test_adding_then_measuring_gives_back_the_same_time():
    hours = SupportHours.parse(timezone="Asia/Kolkata", days=["mon", "wed", "sat"], opens="08:30", closes="12:15")
    start = utc(2026, 1, 1, 0, 0)
    for step in range(0, 24 * 14 * 60, 97):  # every 97 minutes over two weeks
        moment = start + timedelta(minutes=step)
        for seconds in (1, 7 * MINUTE, 4 * HOUR, 30 * HOUR):
            due = hours.add_business_seconds(moment, seconds)
            assert hours.business_seconds_between(moment, due) == seconds
            # The last second before it falls due was a working one (due may be the closing time itself).
            assert hours.is_open((due - timedelta(seconds=1)).replace(tzinfo=timezone.utc))


def test_a_schedule_without_working_days_is_an_error_not_a_loop():
    never = SupportHours("UTC", (), NEW_YORK.opens, NEW_YORK.closes)
    with pytest.raises(ValueError, match="no working day"):
        never.add_business_seconds(utc(2026, 11, 23), 60)
    with pytest.raises(ValueError):
        NEW_YORK.add_business_seconds(utc(2026, 11, 23), -1)
