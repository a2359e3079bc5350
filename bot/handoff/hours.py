"""Support team working hours: is someone on duty now, and if not, when; and time counted in business
hours (the SLA clocks in bot/desk/sla.py run only while the team is on duty)."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Iterator, Tuple
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SupportHours:
    timezone: str
    days: Tuple[str, ...]
    opens: time
    closes: time

    @classmethod
    def parse(cls, *, timezone: str, days, opens: str, closes: str) -> "SupportHours":
        ZoneInfo(timezone)  # raises for an unknown zone
        unknown = [d for d in days if d not in DAY_NAMES]
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}; use {', '.join(DAY_NAMES)}")
        # "24:00" closes at the end of the day: a team on duty around the clock.
        opening = time.fromisoformat(opens)
        closing = time.max if closes == "24:00" else time.fromisoformat(closes)
        if opening >= closing:
            raise ValueError("opens must be before closes")
        return cls(timezone, tuple(days), opening, closing)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def is_open(self, moment: datetime) -> bool:
        local = self._local(moment)
        return DAY_NAMES[local.weekday()] in self.days and self.opens <= local.time() < self.closes

    def next_opening(self, moment: datetime) -> datetime:
        """The next time someone is on duty (in the support team's time zone)."""
        local = self._local(moment)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            start = datetime.combine(day, self.opens, tzinfo=local.tzinfo)
            if DAY_NAMES[day.weekday()] in self.days and start > local:
                return start
        raise ValueError("support hours have no working day")

    def describe_next_opening(self, moment: datetime) -> str:
        opening = self.next_opening(moment)
        local = self._local(moment)
        when = "today" if opening.date() == local.date() else (
            "tomorrow" if opening.date() == (local + timedelta(days=1)).date() else opening.strftime("on %A"))
        return f"{when} at {opening.strftime('%H:%M')} ({opening.tzname()})"

    def add_business_seconds(self, moment: datetime, seconds: float) -> datetime:
        """`moment` plus `seconds` of the team's working time: the clock runs only while someone is on duty,
        so five minutes from Friday 17:58 (closing at 18:00) end on Monday at 09:03. Nights, weekends and
        daylight-saving changes are counted in the team's time zone. A naive moment is read as UTC and the
        answer is naive UTC too (as the database keeps times); an aware one is answered in UTC."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        start, naive = _as_utc(moment)
        if seconds == 0:
            return _returned(start, naive)
        left = timedelta(seconds=seconds)
        for opens, closes in self._periods(start):
            if closes <= start:
                continue
            begin = max(opens, start)
            if left <= closes - begin:
                return _returned(begin + left, naive)
            left -= closes - begin
        raise AssertionError("unreachable: the working periods never end")

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """The team's working time from `start` to `end` in seconds (negative when `end` comes first)."""
        first, _ = _as_utc(start)
        last, _ = _as_utc(end)
        if last < first:
            return -self.business_seconds_between(end, start)
        total = timedelta(0)
        for opens, closes in self._periods(first):
            if opens >= last:
                break
            overlap = min(closes, last) - max(opens, first)
            if overlap > timedelta(0):
                total += overlap
        return total.total_seconds()

    def _periods(self, moment: datetime) -> Iterator[Tuple[datetime, datetime]]:
        """The team's working periods as aware UTC (opens, closes) pairs, in order, from the one of the
        day `moment` falls on (in the team's time zone) onwards, without end."""
        if not self.days:
            raise ValueError("support hours have no working day")
        zone = ZoneInfo(self.timezone)
        day = moment.astimezone(zone).date()
        while True:
            if DAY_NAMES[day.weekday()] in self.days:
                opens = datetime.combine(day, self.opens, tzinfo=zone)
                # Local wall times turn into UTC here, so a day with a daylight-saving change is 23 or 25
                # hours long and a closing at "24:00" is the next midnight.
                closes = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                          if self.closes == time.max else datetime.combine(day, self.closes, tzinfo=zone))
                yield opens.astimezone(timezone.utc), closes.astimezone(timezone.utc)
            day += timedelta(days=1)


def _as_utc(moment: datetime) -> Tuple[datetime, bool]:
    """(the moment as an aware UTC datetime, whether it was naive)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc), True
    return moment.astimezone(timezone.utc), False


def _returned(moment: datetime, naive: bool) -> datetime:
    return moment.replace(tzinfo=None) if naive else moment
