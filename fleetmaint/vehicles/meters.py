"""Meter arithmetic shared by readings, intervals and tasks.

Pure functions only: no database, no clock. Callers pass ``now`` and the
values they read, which keeps every rule here testable with properties.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

Number = int | float | Decimal

HOURS_PER_DAY = 24
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class MeterPoint:
    """One meter value at one moment; ``resets`` marks a replaced or rolled-over meter."""

    at: datetime
    value: Number
    resets: bool = False


def elapsed_days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / SECONDS_PER_DAY


def neighbours(
    history: list[MeterPoint], at: datetime
) -> tuple[MeterPoint | None, MeterPoint | None]:
    """The points just before (or at) and just after ``at`` in a time-sorted history."""
    # A binary search: a batch checks each of its readings against a growing history.
    index = bisect_right(history, at, key=_at)
    before = history[index - 1] if index else None
    after = history[index] if index < len(history) else None
    return before, after


def _at(point: MeterPoint) -> datetime:
    return point.at


def order_problem(
    history: list[MeterPoint],
    new: MeterPoint,
    *,
    meter: str,
    unit: str,
    zone: tzinfo | None = None,
) -> str | None:
    """Why ``new`` cannot sit in ``history`` (values never go down), or None if it fits.

    The neighbour's day is named in ``zone``, the fleet's, as its pages show it.
    """
    before, after = neighbours(history, new.at)
    if before is not None and not new.resets and new.value < before.value:
        return (
            f"The {meter} cannot go down: the previous reading was {_fmt(before.value)} {unit} "
            f"on {_day(before.at, zone)}. If the meter was replaced or rolled over, "
            "record a correction."
        )
    if after is not None and not after.resets and new.value > after.value:
        return (
            f"The {meter} is higher than a later reading ({_fmt(after.value)} {unit} "
            f"on {_day(after.at, zone)})."
        )
    return None


def _day(at: datetime, zone: tzinfo | None) -> str:
    local = at.astimezone(zone) if zone is not None and at.tzinfo is not None else at
    return f"{local:%Y-%m-%d}"


def implausible_jump(
    history: list[MeterPoint], new: MeterPoint, *, max_per_day: Number
) -> Number | None:
    """The increase since the previous point when it exceeds ``max_per_day`` per elapsed day.

    Less than a day apart counts as one day, so two readings on the same day
    may differ by up to one day's plausible use.
    """
    before, _ = neighbours(history, new.at)
    if before is None or new.resets:
        return None
    increase = new.value - before.value
    days = max(elapsed_days(before.at, new.at), 1.0)
    if increase > Decimal(str(max_per_day)) * Decimal(str(days)):
        return increase
    return None


def daily_usage(history: list[MeterPoint], *, window_days: int = 90) -> float | None:
    """Average use per day over the recent readings, or None without enough history.

    Uses the points within ``window_days`` of the newest one, after the last
    reset. Needs two points at least a day apart.
    """
    if len(history) < 2:
        return None
    newest = history[-1]
    recent = [p for p in history if elapsed_days(p.at, newest.at) <= window_days]
    for index in range(len(recent) - 1, -1, -1):
        if recent[index].resets:
            recent = recent[index:]
            break
    if len(recent) < 2:
        return None
    first, last = recent[0], recent[-1]
    days = elapsed_days(first.at, last.at)
    if days < 1:
        return None
    return float(last.value - first.value) / days


def _fmt(value: Number) -> str:
    if isinstance(value, Decimal | float) and value == int(value):
        return f"{int(value):,}"
    return f"{value:,}"


def days_until_reached(remaining: Number, per_day: float | None) -> float | None:
    """Days until a meter with ``remaining`` left is reached at ``per_day``; None if unknown."""
    if remaining <= 0:
        return 0.0
    if not per_day or per_day <= 0:
        return None
    return float(remaining) / per_day


# A predicted date is an estimate from the recent daily use, which itself
# rarely holds to better than a few percent. A new estimate replaces the
# stored one only when it moves by a day or more and by at least this share
# of the time still to go: a batch of readings then leaves the rows of tasks
# whose dates barely moved alone, where rewriting every task of every vehicle
# read would cost many times the readings themselves.
PREDICTION_SLACK = 0.05


def prediction_moved(old: datetime | None, new: datetime | None, now: datetime) -> bool:
    """Whether a freshly predicted date should replace the stored one."""
    if old is None or new is None:
        return (old is None) != (new is None)
    shift = abs((new - old).total_seconds())
    ahead = abs((new - now).total_seconds())
    return shift >= max(SECONDS_PER_DAY, PREDICTION_SLACK * ahead)


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the given moments, ignoring the unknown ones."""
    known = [m for m in moments if m is not None]
    return min(known) if known else None


# --- service task conditions --------------------------------------------------------

CREATED, NOTIFIED, EXPIRED, DONE = "created", "notified", "expired", "done"
_RANK = {CREATED: 0, NOTIFIED: 1, EXPIRED: 2}


@dataclass(frozen=True)
class Condition:
    """One limit of a task, measured from its start: distance, days or engine hours.

    ``used`` is how much of the meter has passed since the start, ``limit``
    how much may pass, ``notify_before`` how long before the limit to remind.
    """

    kind: str
    used: float
    limit: float
    notify_before: float = 0

    @property
    def state(self) -> str:
        if self.used >= self.limit:
            return EXPIRED
        if self.used >= self.limit - max(self.notify_before, 0):
            return NOTIFIED
        return CREATED

    @property
    def wear(self) -> float:
        if self.limit <= 0:
            return 100.0 if self.used >= self.limit else 0.0
        return max(self.used, 0) / self.limit * 100


def task_status(conditions: list[Condition]) -> tuple[str, str]:
    """The status the conditions give, and which condition decided it.

    Expired as soon as any condition reached its limit, otherwise notified as
    soon as any reached its reminder point, otherwise created. Among equals,
    the condition listed first decides.
    """
    status, deciding = CREATED, ""
    for condition in conditions:
        state = condition.state
        if _RANK[state] > _RANK[status]:
            status, deciding = state, condition.kind
    return status, deciding


def wear_percentage(conditions: list[Condition]) -> int:
    """The most-used condition as a whole percentage of its limit; past 100 when overdue."""
    if not conditions:
        return 0
    return int(max(c.wear for c in conditions))


def predict_reach(
    value_at: datetime | None, value: Number | None, target: Number, per_day: float | None
) -> datetime | None:
    """When a meter read as ``value`` at ``value_at`` reaches ``target`` at ``per_day``.

    Projecting from the last reading is the same as projecting today's value
    (last value + days since * use) and counting the days that remain.
    """
    if value_at is None or value is None:
        return None
    remaining = float(target) - float(value)
    if remaining <= 0:
        return value_at
    if not per_day or per_day <= 0:
        return None
    return value_at + timedelta(days=min(remaining / per_day, 36_500))
