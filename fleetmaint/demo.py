"""Demo data for `make run`: one fleet, three users, vehicles with a year of readings.

Idempotent: everything is looked up by a stable key before it is created, so
running it twice leaves the same data.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Organization, Role
from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import ContractType
from fleetmaint.intervals import services as intervals
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.intervals.presets import preset_fits
from fleetmaint.orders import quotes, servicers
from fleetmaint.orders import services as orders
from fleetmaint.orders.events import read as read_event
from fleetmaint.orders.models import CatalogItem, Servicer, ServicerStaff, ServiceType
from fleetmaint.tasks import services as tasks
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.inputs import VehicleInput
from fleetmaint.vehicles.models import ReadingSource, Vehicle

DEMO_ORG_SLUG = "demo-fleet"
DEMO_USERS = {
    "admin": ("demo-admin-pass", Role.ADMIN),
    "advisor": ("demo-advisor-pass", Role.ADVISOR),
    "viewer": ("demo-viewer-pass", Role.VIEWER),
}
DEMO_OPERATOR_LOGIN = ("operator", "demo-operator-pass")

# make, model, unit, tracks engine hours, typical distance per day, powertrain
DEMO_MODELS = [
    ("Ford", "Transit", "km", False, 140, "diesel"),
    ("Mercedes-Benz", "Sprinter", "km", False, 170, "diesel"),
    ("Volkswagen", "Crafter", "km", False, 120, "diesel"),
    ("Renault", "Master", "km", False, 110, "diesel"),
    ("Toyota", "Hilux", "km", True, 90, "diesel"),
    ("Iveco", "Daily", "km", False, 160, "diesel"),
    ("Ford", "F-150", "mi", False, 70, "combustion"),
    ("Chevrolet", "Silverado", "mi", False, 65, "combustion"),
    ("Ram", "ProMaster", "mi", False, 80, "combustion"),
    ("Caterpillar", "320 Excavator", "km", True, 8, "equipment"),
    ("Volvo", "FH16", "km", True, 420, "diesel"),
    ("Scania", "R450", "km", True, 380, "diesel"),
    ("Nissan", "e-NV200", "km", False, 75, "electric"),
]


@dataclass
class DemoResult:
    org: Organization
    created_vehicles: int


def seed_demo(*, vehicle_count: int = 25) -> DemoResult:
    with transaction.atomic():
        org = Organization.objects.filter(slug=DEMO_ORG_SLUG).first() or accounts.org_create(
            name="Demo Fleet",
            slug=DEMO_ORG_SLUG,
            time_zone="Europe/Berlin",
            currency="EUR",
            distance_unit="km",
        )
        _seed_users(org)
        created = [_seed_vehicle(org, number) for number in range(1, vehicle_count + 1)]
        new_vehicles = [v for v in created if v is not None]
        _seed_schedule(org, new_vehicles)
        _seed_tasks(new_vehicles)
        _seed_contracts(new_vehicles)
        _seed_servicers(org, new_vehicles)
        _seed_cost_history(new_vehicles)
    return DemoResult(org=org, created_vehicles=len(new_vehicles))


def _seed_users(org: Organization) -> None:
    user_model = get_user_model()
    for username, (password, role) in DEMO_USERS.items():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = _create_user(username, f"{username}@demo.invalid", password)
        if user.is_staff or user.is_superuser:
            # Fleet logins see their fleet only; the Django admin is the operator's.
            user.is_staff = user.is_superuser = False
            user.save(update_fields=["is_staff", "is_superuser"])
        accounts.membership_set(org=org, user=user, role=role)
    _seed_operator()


def _seed_operator() -> None:
    """The installation's operator: runs the Django admin, belongs to no fleet."""
    username, password = DEMO_OPERATOR_LOGIN
    if not get_user_model().objects.filter(username=username).exists():
        operator = _create_user(username, "operator@demo.invalid", password)
        operator.is_staff = operator.is_superuser = True
        operator.save(update_fields=["is_staff", "is_superuser"])


def _create_user(username: str, email: str, password: str):
    """A demo login whose password passes the same validators as everyone's."""
    user = get_user_model()(username=username, email=email)
    validate_password(password, user=user)
    user.set_password(password)
    user.save()
    return user


def _seed_vehicle(org: Organization, number: int) -> Vehicle | None:
    key = f"DEMO-{number:03d}"
    if Vehicle.objects.for_org(org).filter(vehicle_key=key).exists():
        return None
    rng = random.Random(number)
    make, model, unit, hours, per_day, powertrain = DEMO_MODELS[(number - 1) % len(DEMO_MODELS)]
    vehicle = vehicles.vehicle_add(
        org=org,
        data=VehicleInput(
            vehicle_key=key,
            label=f"{model} {number:02d}",
            make=make,
            model=model,
            year=2016 + rng.randrange(0, 9),
            plate=f"FM-{rng.randrange(100, 999)}-{number:02d}",
            distance_unit=unit,
            tracks_engine_hours=hours,
            powertrain=powertrain,
        ),
    )
    _seed_readings(org, vehicle, rng, per_day)
    vehicle.refresh_from_db()
    return vehicle


def _seed_schedule(org: Organization, vehicles: list[Vehicle]) -> None:
    """Preset intervals counted from a service some time in the past year, so some are due;
    then the engine-hour presets' repeating tasks for the equipment."""
    presets = [p for p in intervals.presets_ensure(org) if intervals.makes_intervals(p)]
    now = timezone.now()
    rows = []
    for vehicle in vehicles:
        history = list(vehicle.readings.order_by("recorded_at"))
        if not history:
            continue
        rng = random.Random(vehicle.pk)
        weeks = len(history) - 1
        per_week = max((history[-1].odometer - history[0].odometer) / max(weeks, 1), 1)
        for preset in (p for p in presets if preset_fits(p, vehicle)):
            # The last service was somewhere within one interval ago, so about
            # one in eight is due now and the rest are spread over the year.
            span = preset.weeks or (preset.months or 12) * 4.3
            if preset.distance is not None and preset.meter == "distance":
                span = min(span, preset.distance / per_week)
            lookback = min(weeks, round(span * rng.uniform(0.1, 1.05)))
            serviced = history[weeks - lookback]
            rows.append(
                intervals.preset_interval(
                    vehicle, preset, serviced.odometer, serviced.recorded_at, now
                )
            )
    ServiceInterval.objects.bulk_create(rows)
    intervals.intervals_evaluate(vehicle_ids=[v.pk for v in vehicles])
    intervals.schedule_generate(org=org, vehicles=vehicles)


DEMO_TASKS = [
    # description, cost, days until the end (or None), distance limit, engine-hour limit, unplanned
    ("Annual safety inspection", 180, 20, None, None, False),
    ("Replace wiper blades", 35, None, 3_000, None, True),
    ("Tachograph calibration", 240, 75, None, None, False),
    ("Hydraulic oil change", 420, None, None, 250, False),
    ("Fix rear door seal", 90, 3, None, None, True),
    ("Brake inspection", 150, 120, 20_000, None, False),
]


def _seed_tasks(vehicles: list[Vehicle]) -> None:
    """A few tasks per vehicle; some already due or overdue so every status shows."""
    now = timezone.now()
    for index, vehicle in enumerate(vehicles):
        rng = random.Random(1000 + index)
        for description, cost, days, distance, hours, unplanned in rng.sample(DEMO_TASKS, 2):
            if hours and not vehicle.tracks_engine_hours:
                continue
            conditions = tasks.Conditions()
            end = None
            if days is not None:
                # Some ends are meant to have passed: the demo shows overdue work too.
                end = now + timedelta(days=days - rng.choice([0, 0, 25]))
                conditions.date = {"end": end, "notification_interval": 14, "repeat_interval": 365}
            if distance is not None:
                conditions.mileage = {"limit": distance, "notification_interval": 1_000}
            if hours is not None:
                conditions.engine_hours = {"limit": hours, "notification_interval": 25}
            tasks.task_create(
                vehicle=vehicle,
                data=tasks.TaskInput(
                    description=description,
                    cost=cost,
                    repeat=days is not None,
                    unplanned=unplanned,
                    conditions=conditions,
                    already_overdue=end is not None and end < now,
                ),
            )


def _seed_contracts(vehicles: list[Vehicle]) -> None:
    """A manufacturer warranty on the newer vehicles and a service plan on some others."""
    today = timezone.localdate()
    for index, vehicle in enumerate(vehicles):
        if vehicle.year and vehicle.year >= 2022:
            contracts.contract_create(
                vehicle=vehicle,
                data=ContractInput(
                    contract_type=ContractType.MANUFACTURER_WARRANTY,
                    number=f"MW-{vehicle.vehicle_key}",
                    provider=vehicle.make,
                    start_date=date(vehicle.year, today.month, min(today.day, 28)),
                    end_date=date(vehicle.year + 5, today.month, min(today.day, 28))
                    - timedelta(days=index * 9),
                    distance_limit=150_000,
                    start_odometer=0,
                    covered_services=["replace-brake-pads", "diagnostics"],
                ),
            )
        elif index % 3 == 0:
            contracts.contract_create(
                vehicle=vehicle,
                data=ContractInput(
                    contract_type=ContractType.SERVICE_PLAN,
                    number=f"SP-{vehicle.vehicle_key}",
                    provider="Northside Fleet Service",
                    start_date=today - timedelta(days=300),
                    end_date=today + timedelta(days=20 + index),
                    covered_services=["oil-change", "tire-rotation"],
                    price=Decimal("480.00"),
                ),
            )


DEMO_SERVICER_LOGIN = ("servicer", "demo-servicer-pass")
DEMO_SERVICERS = [
    # name, service types, accepts automatically, price list
    (
        "Northside Fleet Service",
        ["scheduled_maintenance", "repair_depot"],
        False,
        [
            ("oil-change", "Oil Change", "89.00", 45),
            ("tire-rotation", "Tire Rotation", "35.00", 30),
            ("replace-cabin-air-filter", "Replace Cabin Air Filter", "29.00", 15),
            ("replace-engine-air-filter", "Replace Engine Air Filter", "39.00", 20),
            ("replace-brake-pads", "Replace Brake Pads", "189.00", 90),
            ("replace-brake-fluid", "Replace Brake Fluid", "79.00", 45),
            ("brake-inspection", "Brake Inspection", "49.00", 30),
        ],
    ),
    (
        "RoadReady Mobile Mechanics",
        ["repair_onsite"],
        True,
        [("diagnostics", "On-site diagnostics", "95.00", 60)],
    ),
]


def _seed_servicers(org: Organization, vehicles: list[Vehicle]) -> None:
    """Two servicers the fleet works with, a portal login, and orders in several states."""
    user_model = get_user_model()
    created = []
    for name, types, auto_accept, catalog in DEMO_SERVICERS:
        servicer, _ = Servicer.objects.get_or_create(
            name=name,
            defaults={
                "service_types": types,
                "auto_accept": auto_accept,
                "email": f"{slugify(name)}@demo.invalid",
                "open_to_new_fleets": True,
            },
        )
        for code, item_name, price, minutes in catalog:
            CatalogItem.objects.get_or_create(
                servicer=servicer,
                code=code,
                defaults={"name": item_name, "price": price, "duration_minutes": minutes},
            )
        servicers.partnership_link(org=org, servicer=servicer)
        created.append(servicer)
    username, password = DEMO_SERVICER_LOGIN
    if not user_model.objects.filter(username=username).exists():
        user = _create_user(username, "servicer@demo.invalid", password)
        ServicerStaff.objects.create(user=user, servicer=created[0])
    if vehicles:
        _seed_orders(org, created[0], vehicles)


def _seed_orders(org: Organization, servicer: Servicer, vehicles: list[Vehicle]) -> None:
    due = list(
        ServiceInterval.objects.open()
        .filter(vehicle__in=vehicles)
        .exclude(due_at=None)
        .select_related("vehicle")[:3]
    )
    for number, interval in enumerate(due):
        quote = quotes.quote_create(
            org=org,
            vehicle=interval.vehicle,
            servicer=servicer,
            service_type=ServiceType.SCHEDULED_MAINTENANCE,
            items=quotes.items_for_due_work([interval], []),
            pre_authorized=Decimal(150),
            interval_ids=[interval.pk],
        )
        if number == 2:
            continue  # left as a quote waiting for the fleet
        order = quotes.quote_accept(quote=quote)
        orders.order_accept(order=order)
        if number == 0:
            received = {"event": "product_received", "receivedBy": "Front desk"}
            for body in (received, {"event": "repair_started"}):
                orders.event_post(order=order, event=read_event(body, order.service_type))


def _seed_cost_history(vehicles: list[Vehicle]) -> None:
    """A year of finished repairs, so the dashboard's cost chart has something to show.

    The tasks are created and completed through the services; their completion
    dates are then moved into the past months they stand for.
    """
    if not vehicles:
        return
    rng = random.Random(42)
    now = timezone.now()
    for months_ago in range(11, -1, -1):
        for _ in range(rng.randrange(2, 5)):
            vehicle = rng.choice(vehicles)
            if vehicle.odometer is None:
                continue
            task = tasks.task_create(
                vehicle=vehicle,
                data=tasks.TaskInput(
                    description=rng.choice(
                        [
                            "Replace headlight",
                            "Fix mirror",
                            "New battery",
                            "Replace tyre",
                            "Brake disc",
                        ]
                    ),
                    cost=rng.randrange(80, 900),
                    unplanned=True,
                    conditions=tasks.Conditions(mileage={"limit": 50_000}),
                ),
            )
            tasks.task_mark_done(task=task)
            finished = now - timedelta(days=months_ago * 30 + rng.randrange(0, 25))
            ServiceTask.objects.filter(pk=task.pk).update(completion_date=finished)


def _seed_readings(org: Organization, vehicle: Vehicle, rng: random.Random, per_day: int) -> None:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    odometer = rng.randrange(5_000, 180_000)
    engine_hours = float(rng.randrange(200, 9_000))
    items = []
    for week in range(52, -1, -1):
        odometer += int(per_day * 7 * rng.uniform(0.6, 1.3))
        engine_hours += round(per_day * 7 / 45 * rng.uniform(0.6, 1.3), 1)
        items.append(
            vehicles.BulkItem(
                index=len(items),
                vehicle_id=vehicle.pk,
                vehicle_key=None,
                reading=vehicles.ReadingInput(
                    odometer=odometer,
                    engine_hours=(
                        Decimal(f"{engine_hours:.1f}") if vehicle.tracks_engine_hours else None
                    ),
                    recorded_at=now - timedelta(days=week * 7, hours=rng.randrange(0, 48)),
                    confirm_jump=True,
                ),
            )
        )
    vehicles.readings_bulk_record(org=org, items=items, source=ReadingSource.IMPORT)


def login_lines() -> list[str]:
    """The demo logins as `seed_demo` and `make run` print them."""
    lines = ["  Demo logins (username / password):"]
    for username, (password, role) in DEMO_USERS.items():
        lines.append(f"    {username:8} / {password:20} {role}")
    username, password = DEMO_SERVICER_LOGIN
    lines.append(f"    {username:8} / {password:20} servicer portal")
    username, password = DEMO_OPERATOR_LOGIN
    lines.append(f"    {username:8} / {password:20} operator: the Django admin (/admin/)")
    return lines
