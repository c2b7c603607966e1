"""Servicers, due work, quotes and orders in every status, for the order tests.

The fleet (``org``, from the suite's conftest) works with two servicers: the
garage (scheduled maintenance and depot repairs, accepts by hand) and the
mobile mechanics (onsite repairs, accept automatically). A third servicer
works with nobody here. ``garage_staff`` and ``mobile_staff`` are portal
users of the first two.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications import services as notifications
from fleetmaint.orders import quotes, servicers, services
from fleetmaint.orders.models import (
    CatalogItem,
    OrderStatus,
    Quote,
    ServiceOrder,
    Servicer,
    ServicerStaff,
    ServiceType,
)
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.notifications.conftest import smtp  # noqa: F401  (the real SMTP receiver)

NOW = datetime(2030, 6, 15, 10, 0, tzinfo=UTC)  # 12:00 in Berlin, where the fleet is
HTMX = {"HTTP_HX_REQUEST": "true"}

# How an order reaches each status through the services, from pending.
ROUTES: dict[str, list[str]] = {
    OrderStatus.PENDING: [],
    OrderStatus.ACCEPTED: [OrderStatus.ACCEPTED],
    OrderStatus.IN_PROGRESS: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS],
    OrderStatus.DELAYED: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.DELAYED],
    OrderStatus.COMPLETED: [OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED],
    OrderStatus.CANCELED: [OrderStatus.CANCELED],
    OrderStatus.CLOSED: [
        OrderStatus.ACCEPTED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.COMPLETED,
        OrderStatus.CLOSED,
    ],
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _servicer(name: str, types: list[str], catalog: list[tuple], **fields) -> Servicer:
    servicer = Servicer.objects.create(
        name=name, service_types=types, email=f"{name.split()[0].lower()}@example.net", **fields
    )
    CatalogItem.objects.bulk_create(
        [
            CatalogItem(
                servicer=servicer, code=code, name=label, price=Decimal(price), duration_minutes=m
            )
            for code, label, price, m in catalog
        ]
    )
    return servicer


@pytest.fixture
def garage(org) -> Servicer:
    """Does scheduled maintenance and depot repairs; accepts orders by hand."""
    servicer = _servicer(
        "Bay Garage",
        ["scheduled_maintenance", "repair_depot"],
        [
            ("oil-change", "Oil change, 5W-30", "89.00", 45),
            ("tire-rotation", "Tire rotation", "40.00", 30),
            ("brake-pads", "Brake pads, front axle", "220.50", 90),
        ],
    )
    servicers.partnership_link(org=org, servicer=servicer)
    return servicer


@pytest.fixture
def mobile(org) -> Servicer:
    """Onsite repairs only; accepts every order at once."""
    servicer = _servicer(
        "RoadReady Mobile",
        ["repair_onsite"],
        [("diagnostics", "On-site diagnostics", "95.00", 60)],
        auto_accept=True,
    )
    servicers.partnership_link(org=org, servicer=servicer)
    return servicer


@pytest.fixture
def stranger(db) -> Servicer:
    """A servicer this fleet does not work with, open to new fleets."""
    return _servicer(
        "Far Away Motors",
        ["scheduled_maintenance"],
        [("oil-change", "Oil", "50.00", 30)],
        open_to_new_fleets=True,
    )


@pytest.fixture
def closed_shop(db) -> Servicer:
    """A servicer that takes no new fleets on its own: the operator links them."""
    return _servicer("Private Fleet Works", ["repair_depot"], [("check", "Check", "10.00", 30)])


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van, read at 10,000 km a day ago."""
    clock.shift(-timedelta(days=1))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def truck(org, clock) -> Vehicle:
    truck = vehicles.vehicle_create(org=org, label="Truck 2", vehicle_key="TRK-2")
    vehicles.reading_record(vehicle=truck, odometer=50_000)
    truck.refresh_from_db()
    return truck


@pytest.fixture
def schedule(org, van) -> dict[str, ServiceInterval]:
    """The van's preset intervals, by name ("Oil Change", "Tire Rotation", …)."""
    intervals.presets_ensure(org)
    intervals.intervals_generate(org=org, vehicles=[van])
    return {i.name: i for i in ServiceInterval.objects.filter(vehicle=van).select_related("preset")}


@pytest.fixture
def oil(schedule) -> ServiceInterval:
    return schedule["Oil Change"]


@pytest.fixture
def washer(van) -> ServiceInterval:
    """A custom interval, not from a preset."""
    return intervals.interval_create(vehicle=van, name="Washer fluid", odometer=12_000)


@pytest.fixture
def wipers(van) -> ServiceTask:
    """A task expiring 5,000 km after 10,000."""
    return tasks.task_create(
        vehicle=van,
        data=TaskInput(
            description="Replace wipers",
            conditions=Conditions(mileage={"limit": 5_000, "notification_interval": 1_000}),
        ),
    )


@pytest.fixture
def make_quote(org, van, garage, oil) -> Callable[..., Quote]:
    """A pending quote from the garage for the van's oil change, or whatever is asked."""

    def make(
        *,
        servicer: Servicer | None = None,
        service_type: ServiceType = ServiceType.SCHEDULED_MAINTENANCE,
        codes: tuple[str, ...] = ("oil-change",),
        pre_authorized: Decimal = Decimal("0"),
        chosen_intervals: tuple = (),
        chosen_tasks: tuple = (),
        vehicle: Vehicle | None = None,
    ) -> Quote:
        servicer = servicer or garage
        return quotes.quote_create(
            org=org,
            vehicle=vehicle or van,
            servicer=servicer,
            service_type=service_type,
            items=[quotes.ItemRequest(code=code) for code in codes],
            pre_authorized=pre_authorized,
            interval_ids=[i.pk for i in chosen_intervals],
            task_ids=[t.pk for t in chosen_tasks],
        )

    return make


@pytest.fixture
def make_order(make_quote, mobile) -> Callable[..., ServiceOrder]:
    """An order walked through the services to ``status``.

    ``onsite=True`` orders from the mobile mechanics (which accept at once),
    otherwise from the garage; ``service_type`` picks the garage's type.
    """

    def make(
        status: str | None = None,
        *,
        onsite: bool = False,
        service_type: ServiceType = ServiceType.REPAIR_DEPOT,
        pre_authorized: Decimal = Decimal("0"),
        chosen_intervals: tuple = (),
        chosen_tasks: tuple = (),
    ) -> ServiceOrder:
        if onsite:
            quote = make_quote(
                servicer=mobile,
                service_type=ServiceType.REPAIR_ONSITE,
                codes=("diagnostics",),
                pre_authorized=pre_authorized,
            )
        else:
            quote = make_quote(
                service_type=service_type,
                pre_authorized=pre_authorized,
                chosen_intervals=chosen_intervals,
                chosen_tasks=chosen_tasks,
            )
        status = status or (OrderStatus.ACCEPTED if onsite else OrderStatus.PENDING)
        order = quotes.quote_accept(quote=quote)
        for step in ROUTES[status]:
            if step == order.status:
                continue  # accepted automatically
            order = services.order_set_status(order=order, status=step, reason=f"Test {step}")
        order.refresh_from_db()
        assert order.status == status
        return order

    return make


@pytest.fixture
def hook(org, httpserver):
    """A webhook endpoint of the fleet, listening on loopback for every event."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return notifications.webhook_create(org=org, url=httpserver.url_for("/hook"), events=[])


@pytest.fixture
def advisors(admin_user, advisor) -> list[User]:
    """The people told by e-mail: the fleet's admin and advisor."""
    return [admin_user, advisor]


def _staff(username: str, servicer: Servicer) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.net", password="pw"
    )
    ServicerStaff.objects.create(user=user, servicer=servicer)
    return user


@pytest.fixture
def garage_staff(garage) -> User:
    return _staff("gary", garage)


@pytest.fixture
def mobile_staff(mobile) -> User:
    return _staff("molly", mobile)


@pytest.fixture
def garage_client(garage_staff) -> Client:
    client = Client()
    client.force_login(garage_staff)
    return client


@pytest.fixture
def mobile_client(mobile_staff) -> Client:
    client = Client()
    client.force_login(mobile_staff)
    return client
