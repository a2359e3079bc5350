"""Support team working hours: is someone on duty now, and if not, when."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Tuple
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
