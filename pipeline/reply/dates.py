"""Follow-up dates: business days in the customer's country, brought before an event the complaint waits for.

A promise of news is only worth its date, so the day is counted here, apart from the wording:
weekends and public holidays do not count, and a trip on Sunday moves the follow-up before it.
"""

from __future__ import annotations

import datetime as dt

import holidays

from pipeline.entities import MONTH_NAMES, WEEKDAY_NAMES
from pipeline.entities.dates import upcoming_event
from pipeline.policy import Policy


def add_business_days(start: dt.date, days: int, country: str, subdivision: str | None = None) -> dt.date:
    """``start`` plus ``days`` business days: weekends and the country's public holidays do not count."""
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=range(start.year, start.year + 2))
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            left -= 1
    return day


def before_event(
    follow: dt.date, today: dt.date, complaint: str | None, country: str, subdivision: str | None
) -> dt.date:
    """The follow-up day, brought before an event the complaint is waiting for (a trip on Sunday, an exam tomorrow).

    News promised for the day after the bus leaves is no news: the follow-up moves to the last business
    day before the event, or today when none is left.
    """
    event = upcoming_event(complaint or "", today)
    if event is None or follow < event:
        return follow
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=range(today.year, today.year + 2))
    day = event - dt.timedelta(days=1)
    while day > today and (day.weekday() >= 5 or day in calendar):
        day -= dt.timedelta(days=1)
    return max(day, today)


# An event this many days away or fewer (a bus on Sunday, read on a Friday) is acted on today, within hours.
IMMINENT_DAYS = 3


def follow_up(
    days: int, today: dt.date, complaint: str | None, channel: str, policy: Policy
) -> tuple[dt.date, str | None]:
    """The follow-up day and how soon it is: "hours" (within hours, today), "today" (by today's closing), or None.

    A chat customer is not told to wait for news days away: the follow-up comes in the same chat today.
    An event the complaint is waiting for within ``IMMINENT_DAYS`` (the bus leaves on Sunday at 6:00)
    gets its answer within hours: a date, even tomorrow, may come after the trip. Otherwise ``days``
    business days, brought before any later event, said as "hoy" when that is today.
    """
    if channel == "chat":
        return today, "hours"
    event = upcoming_event(complaint or "", today)
    if event is not None and (event - today).days <= IMMINENT_DAYS:
        return today, "hours"
    follow = add_business_days(today, days, policy.country, policy.subdivision)
    follow = before_event(follow, today, complaint, policy.country, policy.subdivision)
    return follow, "today" if follow == today else None


def format_date_es(day: dt.date, today: dt.date | None = None) -> str:
    """ "jueves 14 de marzo" (with the year when it is not the current one)."""
    text = f"{WEEKDAY_NAMES[day.weekday()]} {day.day} de {MONTH_NAMES[day.month - 1]}"
    if today is None or day.year != today.year:
        text += f" de {day.year}"
    return text
