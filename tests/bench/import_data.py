"""A fleet and a readings file for the import benchmark, generated in SQL and Python.

1,000 vehicles (``BENCH_IMPORT_VEHICLES``), each with two readings long ago
(131 and 101 days back: its current meters and a daily usage), ten open
tasks, one service interval and one contract, all with thresholds far
beyond what the file adds, so an import crosses nothing: the runs measure
storing readings, not notifying.

The file holds 100 readings a vehicle (``BENCH_IMPORT_PER_VEHICLE``), one a
day from 100 days ago to yesterday, odometers and engine hours increasing by
a plausible day's use: semicolon-separated, UTF-8 with a byte-order mark,
ISO 8601 times with their offset, as docs/imports.md describes.
"""

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Organization
from tests.bench.fleet import run, scalar

VEHICLES = int(os.environ.get("BENCH_IMPORT_VEHICLES", "1000"))
PER_VEHICLE = int(os.environ.get("BENCH_IMPORT_PER_VEHICLE", "100"))
TASKS_PER_VEHICLE = 10
HEADER = "vehicle_key;odometer;engine_hours;taken_at"
MAPPING = {
    "vehicle_key": "vehicle_key",
    "taken_at": "taken_at",
    "odometer": "odometer",
    "engine_hours": "engine_hours",
}


@dataclass
class ImportFleet:
    org: Organization
    data: bytes
    rows: int
    newest_odometers: int  # the sum of every vehicle's newest odometer in the file
    built_at: datetime


def _h(expression: str, salt: int) -> str:
    """A deterministic pseudo-random non-negative integer from a number."""
    return f"(hashint8(({expression})::bigint * 7919 + {salt}) & 2147483647)"


def build() -> ImportFleet:
    now = timezone.now().replace(second=0, microsecond=0)
    org = accounts.org_create(name="Import Bench", slug="import-bench", time_zone="Europe/Berlin")
    first_day = (now - timedelta(days=PER_VEHICLE)).replace(hour=0, minute=0)
    params = {"org": org.pk, "now": now, "n": VEHICLES, "current": first_day - timedelta(days=1)}
    # Current meters one day before the file's first reading.
    run(
        f"""
        INSERT INTO vehicles_vehicle (org_id, vehicle_key, label, vin, make, model, year, plate,
            distance_unit, tracks_engine_hours, notes, archived, device_id, odometer, engine_hours,
            odometer_at, engine_hours_at, daily_distance, daily_engine_hours,
            created_at, updated_at)
        SELECT %(org)s, 'IMP' || lpad(g::text, 5, '0'), 'Van ' || lpad(g::text, 5, '0'),
            '', 'Bench', 'Courier', NULL, '', 'km', true, '', false, '',
            20000 + {_h("g", 1)} %% 280000, (1000 + {_h("g", 2)} %% 80000) / 10.0,
            %(current)s, %(current)s, 50 + {_h("g", 3)} %% 250, 2 + {_h("g", 4)} %% 8,
            %(now)s, %(now)s
        FROM generate_series(1, %(n)s) AS g
        """,
        params,
    )
    run(
        """
        INSERT INTO vehicles_reading (org_id, vehicle_id, odometer, engine_hours, recorded_at,
            source, is_correction, note, created_by_id, created_at)
        SELECT v.org_id, v.id, v.odometer - 30 * v.daily_distance::int,
            GREATEST(0, v.engine_hours - 30 * v.daily_engine_hours::numeric),
            v.odometer_at - interval '30 days', 'import', false, '', NULL::integer, %(now)s
        FROM vehicles_vehicle v WHERE v.org_id = %(org)s
        UNION ALL
        SELECT v.org_id, v.id, v.odometer, v.engine_hours, v.odometer_at, 'import', false, '',
            NULL, %(now)s
        FROM vehicles_vehicle v WHERE v.org_id = %(org)s
        """,
        params,
    )
    # Thresholds far away: 400,000 km or more, 10,000 engine hours, two years and more.
    run(
        f"""
        INSERT INTO tasks_servicetask (org_id, vehicle_id, description, comment, cost, repeat,
            unplanned, mileage_limit, mileage_notify, mileage_repeat, date_end, date_notify_days,
            date_repeat_days, hours_limit, hours_notify, hours_repeat, mileage_notify_at,
            mileage_expire_at, date_notify_at, hours_notify_at, hours_expire_at, start_mileage,
            start_engine_hours, start_date, status, status_condition, cycle,
            predicted_end_date, sms_phones, emails, push_enabled, created_at, updated_at)
        SELECT v.org_id, v.id, 'Check #' || t, '', 0, false, false,
            d.mileage_limit, 500, NULL, d.date_end, 7, NULL, 10000, 10.0, NULL,
            v.odometer + d.mileage_limit - 500, v.odometer + d.mileage_limit,
            d.date_end - interval '7 days', v.engine_hours + 9990, v.engine_hours + 10000,
            v.odometer, v.engine_hours, %(now)s, 'created', '', 1,
            d.date_end, '[]'::jsonb, '[]'::jsonb, true, %(now)s, %(now)s
        FROM vehicles_vehicle v
        CROSS JOIN generate_series(1, {TASKS_PER_VEHICLE}) AS t
        CROSS JOIN LATERAL (SELECT 400000 + {_h("v.id * 100 + t", 5)} %% 100000 AS mileage_limit,
            %(now)s + make_interval(days => 730 + {_h("v.id * 100 + t", 6)} %% 365) AS date_end) d
        WHERE v.org_id = %(org)s
        """,
        params,
    )
    run(
        """
        INSERT INTO intervals_serviceinterval (org_id, vehicle_id, name, preset_id,
            service_at_mileage, service_at_date, notes, start_odometer, predicted_due_at,
            due_at, serviced_at, serviced_odometer, created_at, last_updated)
        SELECT v.org_id, v.id, 'Annual service', NULL, v.odometer + 400000,
            %(now)s + interval '800 days', '', v.odometer, %(now)s + interval '800 days',
            NULL, NULL, NULL, %(now)s, %(now)s
        FROM vehicles_vehicle v WHERE v.org_id = %(org)s
        """,
        params,
    )
    run(
        """
        INSERT INTO contracts_vehiclecontract (org_id, vehicle_id, contract_type, number,
            provider, description, start_date, end_date, start_odometer, distance_limit, price,
            currency, covered_services, terms, status, cancel_reason, ends_at_odometer,
            warn_at_odometer, warn_from_date, cycle, expiring_told, created_at, updated_at)
        SELECT v.org_id, v.id, 'service_plan', 'C-' || v.vehicle_key, 'Bench Provider', '',
            %(now)s::date - 365, %(now)s::date + 1000, v.odometer, 500000, NULL, '',
            '[]'::jsonb, '', 'active', '', v.odometer + 500000, v.odometer + 450000,
            %(now)s::date + 900, 1, false, %(now)s, %(now)s
        FROM vehicles_vehicle v WHERE v.org_id = %(org)s
        """,
        params,
    )
    run("ANALYZE")
    data, newest = _file(org, first_day)
    assert scalar("SELECT count(*) FROM vehicles_vehicle WHERE org_id = %(org)s", params) == (
        VEHICLES
    )
    return ImportFleet(
        org=org,
        data=data,
        rows=VEHICLES * PER_VEHICLE,
        newest_odometers=newest,
        built_at=now,
    )


def _file(org: Organization, first_day: datetime) -> tuple[bytes, int]:
    """The CSV: per day, every vehicle's reading of that day (as a daily export would list them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vehicle_key, odometer, engine_hours, daily_distance, daily_engine_hours, id "
            "FROM vehicles_vehicle WHERE org_id = %s ORDER BY id",
            [org.pk],
        )
        vehicles = cursor.fetchall()
    lines = [HEADER]
    odometers = {key: odometer for key, odometer, *_ in vehicles}
    hours = {key: int(engine_hours * 10) for key, _, engine_hours, *_ in vehicles}
    for day in range(PER_VEHICLE):
        moment = first_day + timedelta(days=day)
        for key, _, _, distance, daily_hours, pk in vehicles:
            # Some spread around the vehicle's usual day, never backwards.
            odometers[key] += max(1, int(distance) + (pk * 31 + day * 17) % 41 - 20)
            hours[key] += max(1, int(daily_hours) * 10 + (pk * 7 + day * 13) % 11 - 5)
            taken = moment + timedelta(minutes=360 + (pk * 13 + day) % 600)
            lines.append(
                f"{key};{odometers[key]};{hours[key] // 10}.{hours[key] % 10};{taken.isoformat()}"
            )
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
    return data, sum(odometers.values())
