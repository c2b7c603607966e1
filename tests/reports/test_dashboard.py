"""The dashboard's cost chart and its timeline of what falls due."""

import re
import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fleetmaint.charts import bar_chart
from fleetmaint.orders.models import OrderStatus
from fleetmaint.reports import queries
from fleetmaint.tasks import tally
from fleetmaint.tasks.models import Status
from tests.reports import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def servicer(org):
    return make.servicer_for(org)


def _by_month(rows):
    return {row.month: row for row in rows}


# bar_chart


def test_bar_chart_scales_bars_from_zero_with_tooltips():
    chart = bar_chart([("Jan", 100), ("Feb", 0), ("Mar", 250)], title="Cost", unit="EUR")
    assert [bar.tooltip for bar in chart.bars] == ["Jan: 100 EUR", "Feb: 0 EUR", "Mar: 250 EUR"]
    jan, feb, mar = chart.bars
    assert feb.height == 0
    assert mar.height > jan.height > 0
    assert mar.y + mar.height == pytest.approx(chart.plot_bottom)
    assert mar.y >= chart.plot_top
    assert [tick.label for tick in chart.x_ticks] == ["Jan", "Feb", "Mar"]
    assert chart.y_ticks[0].label == "0"
    assert not chart.is_empty
    assert chart.description == "Cost: 350 EUR in total, Jan to Mar"


def test_bar_chart_without_values_is_empty():
    assert bar_chart([], title="Cost").is_empty
    assert bar_chart([("Jan", 0), ("Feb", 0)], title="Cost").is_empty


def test_bar_chart_uses_long_names_and_links():
    chart = bar_chart(
        [("Jan", 5)], title="Cost", names=["January 2025"], links=["/orders/?status=completed"]
    )
    assert chart.bars[0].tooltip == "January 2025: 5"
    assert chart.bars[0].href == "/orders/?status=completed"


def test_bar_chart_svg_escapes_its_texts_and_uses_no_inline_style():
    chart = bar_chart(
        [("<b>", 5), ("Feb", 7)],
        title='Cost "all" & <more>',
        names=["<script>", "February"],
        links=["/tasks/?a=1&b=2", ""],
    )
    svg = str(chart.svg)
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;: 5" in svg and 'href="/tasks/?a=1&amp;b=2"' in svg
    assert 'aria-label="Cost &quot;all&quot; &amp; &lt;more&gt;: 12 in total' in svg
    assert "style" not in svg  # the strict Content-Security-Policy allows no inline styles
    assert svg.count('<rect class="column"') == 2 and svg.count("<a href=") == 1


# cost_by_month


def test_cost_by_month_adds_completed_orders_and_done_tasks_per_month(org, vehicle, servicer):
    now = timezone.now()
    make.order(
        vehicle, servicer, status=OrderStatus.COMPLETED, completed_at=now, items=("80", "20")
    )
    make.order(vehicle, servicer, status=OrderStatus.CLOSED, completed_at=now, items=("5",))
    make.order(vehicle, servicer, status=OrderStatus.IN_PROGRESS, items=("999",))
    make.order(vehicle, servicer, status=OrderStatus.CANCELED, completed_at=now, items=("999",))
    make.done_task(vehicle, cost="30.00", completed_at=now - timedelta(days=40))
    make.done_task(vehicle, cost="7.00", completed_at=now - timedelta(days=500))  # too old
    make.open_task(vehicle, days=3)  # open: no cost yet

    rows = queries.cost_by_month(org)

    assert len(rows) == 12
    assert rows[-1].month == timezone.localdate(timezone=zoneinfo.ZoneInfo(org.time_zone)).replace(
        day=1
    )
    assert [row.month for row in rows] == sorted(row.month for row in rows)
    this_month = rows[-1]
    assert this_month.orders == Decimal("105.00")
    assert sum(row.tasks for row in rows) == Decimal("30.00")
    assert sum(row.total for row in rows) == Decimal("135.00")


def test_cost_months_are_the_organizations(org, vehicle, servicer):
    """23:30 UTC on 31 January is already February in Berlin."""
    zone = zoneinfo.ZoneInfo(org.time_zone)
    today = timezone.localdate(timezone=zone)
    first_of_month = datetime(today.year, today.month, 1, 0, 30, tzinfo=zone)
    make.done_task(vehicle, cost="12.00", completed_at=first_of_month)
    rows = _by_month(queries.cost_by_month(org))
    assert rows[first_of_month.date()].tasks == Decimal("12.00")


def test_cost_by_month_leaves_out_other_organizations(org, other_org, vehicle, servicer):
    from fleetmaint.vehicles import services as vehicles

    theirs = vehicles.vehicle_create(org=other_org, label="Truck", vehicle_key="T-1")
    make.done_task(theirs, cost="50.00", completed_at=timezone.now())
    assert sum(row.total for row in queries.cost_by_month(org)) == 0


# the weeks ahead and what comes first


def _week_of(day):
    return day - timedelta(days=day.weekday())


def test_what_falls_due_is_counted_per_week_and_the_first_items_are_listed(org, vehicle, servicer):
    zone = zoneinfo.ZoneInfo(org.time_zone)
    make.interval(vehicle, days=2, name="Brake check")
    task = make.open_task(vehicle, days=15, description="Tyre swap")
    order = make.order(vehicle, servicer, eta_days=40)
    make.interval(vehicle, days=120, name="Too far")
    make.open_task(vehicle, days=-3, description="Already past")
    done = make.open_task(vehicle, days=5, description="Done already")
    done.status = Status.DONE
    done.save()
    make.order(vehicle, servicer, status=OrderStatus.COMPLETED, eta_days=4)

    overview = queries.overview(org)

    counted = {
        (week.start, week.tasks, week.intervals, week.orders)
        for week in overview.weeks
        if week.total
    }
    day = timezone.localdate(timezone=zone)
    assert counted == {
        (_week_of(day + timedelta(days=2)), 0, 1, 0),
        (_week_of(task.predicted_end_date.astimezone(zone).date()), 1, 0, 0),
        (_week_of(order.estimated_completion.astimezone(zone).date()), 0, 0, 1),
    }
    assert all(week.start.weekday() == 0 for week in overview.weeks)
    assert overview.weeks[0].start <= day <= overview.weeks[0].end
    assert overview.weeks[-1].end >= day + timedelta(days=queries.TIMELINE_DAYS)
    # Within the next 30 days, soonest first: the order comes later.
    assert [(e.kind, e.title) for e in overview.coming] == [
        ("interval", "Brake check"),
        ("task", "Tyre swap"),
    ]
    assert overview.coming[0].url == reverse("intervals:schedule", args=[vehicle.pk])
    assert overview.coming[1].url == reverse("tasks:vehicle", args=[vehicle.pk])
    assert all(entry.vehicle == "Van 1" for entry in overview.coming)


def test_weeks_use_the_service_date_without_a_prediction(org, vehicle):
    interval = make.interval(vehicle, days=6)
    interval.predicted_due_at = None
    interval.save()
    weeks = [week for week in queries.overview(org).weeks if week.total]
    zone = zoneinfo.ZoneInfo(org.time_zone)
    assert [(week.start, week.intervals) for week in weeks] == [
        (_week_of(interval.service_at_date.astimezone(zone).date()), 1)
    ]


def test_attention_lists_expired_then_due_soon_tasks_then_required_services(org, vehicle):
    due_soon = make.open_task(vehicle, days=-1, description="Due soon")
    due_soon.status = Status.NOTIFIED
    due_soon.save()
    expired = make.open_task(vehicle, days=1, description="Expired")
    expired.status = Status.EXPIRED
    expired.save()
    make.interval(vehicle, days=-2, name="Required")
    make.open_task(vehicle, days=3, description="Planned")

    attention = queries.overview(org).attention

    assert [(e.kind, e.title, e.status) for e in attention] == [
        ("task", "Expired", Status.EXPIRED),
        ("task", "Due soon", Status.NOTIFIED),
        ("interval", "Required", ""),
    ]


# the page


def test_dashboard_shows_the_cost_chart_and_timeline(advisor_client, org, vehicle, servicer):
    make.order(
        vehicle,
        servicer,
        status=OrderStatus.COMPLETED,
        completed_at=timezone.now(),
        items=("1234.00",),
    )
    make.interval(vehicle, days=3, name="Brake check")
    response = advisor_client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html
    assert "Maintenance cost per month: 1,234 EUR in total" in html
    cost_chart = html[html.index('id="cost-chart"') : html.index('id="due-timeline"')]
    assert len(re.findall(r'<rect class="column"', cost_chart)) == 12
    month = timezone.localdate().strftime("%B %Y")
    assert f"<title>{month}: 1,234 EUR</title>" in html
    assert f'href="{reverse("orders:list")}?status=completed"' in html
    assert f'href="{reverse("tasks:list")}?status=done"' in html
    assert "Brake check" in html
    assert f'href="{reverse("intervals:schedule", args=[vehicle.pk])}"' in html


def test_dashboard_without_costs_or_due_items_says_so(advisor_client):
    html = advisor_client.get(reverse("home")).content.decode()
    assert "No completed orders or done tasks with a cost" in html
    assert "Nothing falls due in the next 90 days." in html
    assert "bar-chart" not in html


def test_every_number_on_the_dashboard_links_to_its_list(advisor_client, org, servicer):
    make.fleet(org, servicer, 2)
    html = advisor_client.get(reverse("home")).content.decode()
    stats = re.findall(
        r'<a class="stat" href="([^"]+)">.*?<div class="value[^"]*">(\d+)</div>', html
    )
    assert len(stats) == 8
    assert all(href.startswith("/") for href, _ in stats)
    assert ("/orders/?status=in-progress", "2") in stats


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(context.captured_queries)


def test_dashboard_query_count_does_not_grow_with_the_fleet(advisor_client, org, servicer):
    make.fleet(org, servicer, 3)
    few = _dashboard_queries(advisor_client)
    make.fleet(org, servicer, 27, start=3)
    many = _dashboard_queries(advisor_client)
    assert many == few
    if connection.features.supports_slicing_ordering_in_compound:  # one UNION for the lists
        assert many <= 10
    overview = queries.overview(org)
    assert sum(week.intervals for week in overview.weeks) == 30
    assert sum(week.orders for week in overview.weeks) == 30
    assert len(overview.coming) == queries.COMING_ROWS


def test_dashboard_reads_its_figures_and_lists_in_six_statements(org, servicer):
    """Counts of tasks (the tally), intervals, orders and contracts, the lists in one UNION
    and the cost per month: one statement each, however many lists have rows."""
    make.fleet(org, servicer, 3)
    with CaptureQueriesContext(connection) as context:
        overview = queries.overview(org)
        queries.cost_by_month(org)
    # Without the tally's triggers (SQLite) the tasks are counted in two statements.
    expected = 6 if tally.kept_by_triggers() else 7
    assert overview.coming and len(context.captured_queries) == expected
    lists = [q["sql"] for q in context.captured_queries if "UNION ALL" in q["sql"]]
    assert any("tasks_servicetask" in q and "orders_serviceorder" in q for q in lists)


def test_the_lists_say_when_and_how_far_in_the_organizations_time(advisor_client, org, vehicle):
    task = make.open_task(vehicle, days=3, description="Brake pads")
    make.interval(vehicle, days=-2, name="Required by date")
    html = advisor_client.get(reverse("home")).content.decode()
    zone = zoneinfo.ZoneInfo(org.time_zone)
    local = task.predicted_end_date.astimezone(zone)
    assert f'<time datetime="{local.isoformat()}">{local:%Y-%m-%d}</time>' in html
    assert '<span class="badge danger">service required</span>' in html
    assert '<span class="badge warn">task</span>' in html


def test_a_chart_of_many_bars_labels_some_and_names_them_all():
    series = [(f"W{n}", n) for n in range(14)]

    chart = bar_chart(series, title="Due per week", max_labels=6)

    assert [tick.label for tick in chart.x_ticks] == ["W0", "W3", "W6", "W9", "W12"]
    assert len(chart.bars) == 14
    assert chart.bars[13].tooltip.startswith("W13")


def test_the_dashboards_costs_follow_the_cost_rule_and_leave_out_what_contracts_covered(
    org, vehicle, servicer
):
    from fleetmaint.contracts import services as contracts
    from fleetmaint.contracts.inputs import ContractInput
    from fleetmaint.reports import cost_queries

    plan = contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(contract_type="service_plan", number="SP-9", start_date="2020-01-01"),
    )
    done = make.order(
        vehicle,
        servicer,
        status=OrderStatus.COMPLETED,
        completed_at=timezone.now(),
        items=("100.00", "40.00"),
    )
    done.items.filter(total=Decimal("100.00")).update(covered_by=plan)
    make.done_task(vehicle, cost="25.00", completed_at=timezone.now())

    month = queries.cost_by_month(org)[-1]
    by_rule = cost_queries.cost_rows(org)

    assert (month.orders, month.tasks) == (Decimal("40.00"), Decimal("25.00"))
    assert month.orders + month.tasks == sum(row.amount for row in by_rule)
