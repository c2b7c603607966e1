"""The pure meter arithmetic: examples for the rules, properties for their shape."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import assume, given
from hypothesis import strategies as st

from fleetmaint.vehicles.meters import (
    MeterPoint,
    daily_usage,
    elapsed_days,
    implausible_jump,
    neighbours,
    order_problem,
)

T0 = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def point(n: float, value, resets: bool = False) -> MeterPoint:
    return MeterPoint(day(n), value, resets)


# --- strategies -------------------------------------------------------------------

gaps_minutes = st.integers(min_value=1, max_value=60 * 24 * 30)
increases = st.integers(min_value=0, max_value=5_000)


@st.composite
def rising_histories(draw, min_size: int = 0, max_size: int = 30) -> list[MeterPoint]:
    """Points strictly later one after another, whose values never go down."""
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    at = T0
    value = draw(st.integers(min_value=0, max_value=500_000))
    history = []
    for _ in range(count):
        at += timedelta(minutes=draw(gaps_minutes))
        value += draw(increases)
        history.append(MeterPoint(at, value))
    return history


@st.composite
def histories_with_resets(draw) -> list[MeterPoint]:
    """Rising histories in which a reset point may start again from any lower value."""
    count = draw(st.integers(min_value=0, max_value=30))
    at = T0
    value = draw(st.integers(min_value=0, max_value=500_000))
    history = []
    for _ in range(count):
        at += timedelta(minutes=draw(gaps_minutes))
        resets = draw(st.booleans()) and draw(st.booleans())
        value = draw(st.integers(min_value=0, max_value=value)) if resets else value
        value += draw(increases)
        history.append(MeterPoint(at, value, resets))
    return history


# --- neighbours -------------------------------------------------------------------


def test_neighbours_are_the_points_just_before_and_just_after():
    history = [point(0, 10), point(5, 50), point(10, 100)]
    assert neighbours(history, day(7)) == (history[1], history[2])
    assert neighbours(history, day(-1)) == (None, history[0])
    assert neighbours(history, day(11)) == (history[2], None)
    assert neighbours([], day(0)) == (None, None)


def test_a_point_at_the_same_moment_counts_as_before():
    history = [point(0, 10), point(5, 50)]
    assert neighbours(history, day(5)) == (history[1], None)


@given(rising_histories(), st.integers(min_value=-60 * 24, max_value=60 * 24 * 400))
def test_neighbours_surround_the_moment(history, minutes):
    at = T0 + timedelta(minutes=minutes)
    before, after = neighbours(history, at)
    assert before is None or before.at <= at
    assert after is None or after.at > at
    assert [p for p in history if p.at <= at][-1:] == ([before] if before else [])
    assert [p for p in history if p.at > at][:1] == ([after] if after else [])


# --- order_problem ----------------------------------------------------------------


def test_a_value_below_the_previous_one_is_a_problem_that_names_it():
    history = [point(0, 12_000)]
    problem = order_problem(history, point(1, 11_500), meter="odometer", unit="km")
    assert problem == (
        "The odometer cannot go down: the previous reading was 12,000 km on 2030-01-01. "
        "If the meter was replaced or rolled over, record a correction."
    )


def test_a_decimal_previous_value_is_shown_without_a_needless_fraction():
    history = [point(0, Decimal("1200.0"))]
    problem = order_problem(history, point(1, Decimal("1100.5")), meter="engine hours", unit="h")
    assert "the previous reading was 1,200 h" in problem


def test_a_correction_may_go_below_the_previous_value():
    history = [point(0, 250_000)]
    assert order_problem(history, point(1, 30, resets=True), meter="odometer", unit="km") is None


def test_an_equal_value_is_not_a_problem():
    history = [point(0, 1_000)]
    assert order_problem(history, point(1, 1_000), meter="odometer", unit="km") is None


def test_a_backfilled_value_above_a_later_reading_is_a_problem():
    history = [point(0, 1_000), point(10, 2_000)]
    problem = order_problem(history, point(5, 2_500), meter="odometer", unit="mi")
    assert problem == "The odometer is higher than a later reading (2,000 mi on 2030-01-11)."


def test_a_backfilled_value_may_exceed_a_later_reading_that_was_a_correction():
    history = [point(0, 1_000), point(10, 20, resets=True)]
    assert order_problem(history, point(5, 2_500), meter="odometer", unit="km") is None


@given(rising_histories(min_size=1))
def test_readings_that_never_decrease_never_produce_an_order_problem(history):
    for index, new in enumerate(history):
        others = history[:index] + history[index + 1 :]
        assert order_problem(others, new, meter="odometer", unit="km") is None


@given(rising_histories(min_size=1), st.integers(min_value=1, max_value=10_000), gaps_minutes)
def test_a_value_below_the_newest_one_always_produces_an_order_problem(history, drop, gap):
    newest = history[-1]
    assume(newest.value - drop >= 0)
    new = MeterPoint(newest.at + timedelta(minutes=gap), newest.value - drop)
    assert order_problem(history, new, meter="odometer", unit="km")
    corrected = MeterPoint(new.at, new.value, resets=True)
    assert order_problem(history, corrected, meter="odometer", unit="km") is None


@given(rising_histories(), st.integers(min_value=0, max_value=60 * 24 * 400), st.integers(0, 10**6))
def test_a_value_fits_exactly_when_it_lies_between_its_neighbours(history, minutes, value):
    new = MeterPoint(T0 + timedelta(minutes=minutes, seconds=30), value)
    before, after = neighbours(history, new.at)
    fits = (before is None or before.value <= value) and (after is None or value <= after.value)
    problem = order_problem(history, new, meter="odometer", unit="km")
    assert (problem is None) == fits


# --- implausible_jump -------------------------------------------------------------


def test_an_increase_within_the_daily_limit_is_plausible():
    history = [point(0, 1_000)]
    assert implausible_jump(history, point(2, 4_000), max_per_day=1_500) is None


def test_an_increase_over_the_daily_limit_is_returned():
    history = [point(0, 1_000)]
    assert implausible_jump(history, point(2, 4_001), max_per_day=1_500) == 3_001


def test_readings_less_than_a_day_apart_may_differ_by_one_days_use():
    history = [point(0, 1_000)]
    assert implausible_jump(history, point(0.01, 2_500), max_per_day=1_500) is None
    assert implausible_jump(history, point(0.01, 2_501), max_per_day=1_500) == 1_501


def test_the_first_reading_and_a_correction_are_never_a_jump():
    assert implausible_jump([], point(0, 9_999_999), max_per_day=1) is None
    history = [point(0, 10)]
    assert implausible_jump(history, point(1, 9_999_999, resets=True), max_per_day=1) is None


def test_a_jump_in_engine_hours_is_measured_in_decimals():
    history = [point(0, Decimal("100.0"))]
    assert implausible_jump(history, point(1, Decimal("124.0")), max_per_day=24) is None
    assert implausible_jump(history, point(1, Decimal("124.1")), max_per_day=24) == Decimal("24.1")


@given(
    rising_histories(min_size=1),
    gaps_minutes,
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=5_000),
)
def test_implausible_jump_is_monotone_in_the_increase(history, gap, smaller, larger, per_day):
    smaller, larger = sorted((smaller, larger))
    at = history[-1].at + timedelta(minutes=gap)
    base = history[-1].value
    low = implausible_jump(history, MeterPoint(at, base + smaller), max_per_day=per_day)
    high = implausible_jump(history, MeterPoint(at, base + larger), max_per_day=per_day)
    if low is not None:
        assert high is not None
    if high is not None:
        assert high == larger
    if high is None:
        assert low is None


@given(
    rising_histories(min_size=1),
    st.integers(min_value=1, max_value=60 * 24 * 60),
    st.integers(min_value=1, max_value=60 * 24 * 60),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=5_000),
)
def test_more_time_never_makes_an_increase_less_plausible(history, gap1, gap2, increase, per_day):
    sooner, later = sorted((gap1, gap2))
    last = history[-1]
    value = last.value + increase
    at_later = MeterPoint(last.at + timedelta(minutes=later), value)
    at_sooner = MeterPoint(last.at + timedelta(minutes=sooner), value)
    if implausible_jump(history, at_later, max_per_day=per_day) is not None:
        assert implausible_jump(history, at_sooner, max_per_day=per_day) is not None


@given(rising_histories(min_size=1), gaps_minutes, st.integers(min_value=1, max_value=5_000))
def test_an_increase_at_the_daily_rate_is_always_plausible(history, gap, per_day):
    last = history[-1]
    days = max(gap / (60 * 24), 1.0)
    increase = max(int(per_day * days) - 1, 0)
    new = MeterPoint(last.at + timedelta(minutes=gap), last.value + increase)
    assert implausible_jump(history, new, max_per_day=per_day) is None


# --- daily_usage ------------------------------------------------------------------


def test_daily_usage_is_the_average_over_the_recent_readings():
    history = [point(0, 1_000), point(10, 1_500), point(20, 3_000)]
    assert daily_usage(history) == 100.0


def test_daily_usage_needs_two_readings_a_day_apart():
    assert daily_usage([]) is None
    assert daily_usage([point(0, 1_000)]) is None
    assert daily_usage([point(0, 1_000), point(0.5, 1_100)]) is None


def test_daily_usage_ignores_readings_older_than_the_window():
    history = [point(0, 0), point(200, 90_000), point(210, 91_000)]
    assert daily_usage(history, window_days=90) == 100.0


def test_daily_usage_starts_again_after_a_correction():
    history = [point(0, 50_000), point(10, 60_000), point(11, 100, resets=True), point(21, 600)]
    assert daily_usage(history) == 50.0
    assert daily_usage(history[:3]) is None


def test_elapsed_days_counts_fractions():
    assert elapsed_days(day(0), day(1.5)) == 1.5
    assert elapsed_days(day(2), day(1)) == -1.0


@given(rising_histories())
def test_daily_usage_is_not_negative_for_a_history_that_never_decreases(history):
    usage = daily_usage(history)
    assert usage is None or usage >= 0


@given(histories_with_resets())
def test_daily_usage_is_not_negative_when_corrections_restart_the_meter(history):
    usage = daily_usage(history)
    assert usage is None or usage >= 0


@given(rising_histories(min_size=2))
def test_daily_usage_never_exceeds_the_fastest_single_step(history):
    usage = daily_usage(history)
    assume(usage is not None)
    steps = [(b.value - a.value) / elapsed_days(a.at, b.at) for a, b in pairwise(history)]
    assert usage <= max(steps) + 1e-9
