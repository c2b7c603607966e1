"""A fleet of 10,000 vehicles and N open service tasks, generated in SQL.

Rows come from ``INSERT ... SELECT ... FROM generate_series`` with
pseudo-random but deterministic values (``hashint4`` of the series number),
never from model instances, so a million tasks take a minute or so. The
thresholds are derived in SQL the way the services derive them:

- tasks (``tasks.services.apply_conditions``): ``mileage_expire_at =
  start_mileage + mileage_limit``, ``mileage_notify_at = max(start,
  expire - notify)``, ``date_notify_at = date_end - date_notify_days``, the
  same for engine hours; ``predicted_end_date`` is the earliest of the date
  and the meters' projections (``predict_end_date``);
- intervals: ``service_at_mileage`` / ``service_at_date``, with
  ``predicted_due_at`` as ``intervals.services.predict_due`` gives it;
- contracts (``contracts.services.derive_thresholds``): ``ends_at_odometer``,
  ``warn_at_odometer`` and ``warn_from_date`` from the organization's
  warning settings.

Dates are spread so that nothing is due at ``now`` and moving the clock by
``CROSSING_DAYS`` makes about 2% of the tasks cross (notify or expire), while
no interval and no contract crosses in that window: the crossing set is
tasks only.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Organization, Role
from fleetmaint.notifications import services as notifications

VEHICLES = 10_000
# The vehicle measured by "one reading" has exactly this many tasks.
ONE_READING_TASKS = 20
# Every task's reminder lies 1 to 751 days ahead (date_end 8 to 758 days,
# notified 7 days before): a clock moved by 16 days reaches the first 15 of
# 750 days of reminders, 2.0% of the tasks; 8 of those days are past the
# end as well (expired), the other 7 only past the reminder (notified).
DATE_SPREAD_DAYS = 750
FIRST_END_DAYS = 8
NOTIFY_DAYS = 7
CROSSING_DAYS = 16
EXPECTED_CROSSING_SHARE = (CROSSING_DAYS - (FIRST_END_DAYS - NOTIFY_DAYS)) / DATE_SPREAD_DAYS

TASK_NAMES = ["Oil change", "Brake check", "Tyre rotation", "Inspection", "Filter change"]
OWN_EMAIL = "workshop@bench.example"
OWN_PHONE = "+4915112345678"


@dataclass
class Fleet:
    org: Organization
    advisor_id: int
    endpoint_id: int
    built_at: datetime
    first_vehicle_id: int
    one_reading_vehicle_id: int
    tasks: int = 0

    @property
    def crossing_moment(self) -> datetime:
        """The clock of the crossing sweeps: CROSSING_DAYS after the fleet was built."""
        return self.built_at + timedelta(days=CROSSING_DAYS)


def run(sql: str, params: dict | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def scalar(sql: str, params: dict | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchone()[0]


def _h(expression: str, salt: int) -> str:
    """A deterministic pseudo-random non-negative integer from a series number."""
    return f"(hashint8(({expression})::bigint * 7919 + {salt}) & 2147483647)"


def build_base(now: datetime | None = None) -> Fleet:
    """The organization, its advisor, a webhook endpoint, 10,000 vehicles and their history,
    10,000 service intervals and 10,000 contracts. Tasks come from ``build_tasks``."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    org = accounts.org_create(
        name="Write Path Bench", slug="write-path-bench", time_zone="Europe/Berlin"
    )
    advisor = User.objects.create_user(username="bench-advisor", email="advisor@bench.example")
    membership = accounts.membership_set(org=org, user=advisor, role=Role.ADVISOR)
    endpoint = notifications.webhook_create(
        org=org, url="http://127.0.0.1:9/bench-hook", events=[], description="bench"
    )
    params = {"org": org.pk, "now": now, "n": VEHICLES}
    run(
        f"""
        INSERT INTO vehicles_vehicle (org_id, vehicle_key, label, vin, make, model, year, plate,
            distance_unit, tracks_engine_hours, notes, archived, device_id, odometer,
            engine_hours, odometer_at, engine_hours_at, daily_distance, daily_engine_hours,
            created_at, updated_at)
        SELECT %(org)s, 'B' || lpad(g::text, 5, '0'), 'Truck ' || lpad(g::text, 5, '0'),
            '', 'Bench', 'Hauler', NULL, '', CASE WHEN g %% 10 = 0 THEN 'mi' ELSE 'km' END,
            true, '', false, '', 20000 + {_h("g", 1)} %% 280000,
            (1000 + {_h("g", 2)} %% 80000) / 10.0,
            %(now)s - interval '1 day', %(now)s - interval '1 day',
            50 + {_h("g", 3)} %% 350, 1 + {_h("g", 4)} %% 9, %(now)s, %(now)s
        FROM generate_series(1, %(n)s) AS g
        """,
        params,
    )
    first = scalar("SELECT min(id) FROM vehicles_vehicle WHERE org_id = %(org)s", params)
    # Two readings per vehicle: a month ago and yesterday (the current values).
    run(
        """
        INSERT INTO vehicles_reading (org_id, vehicle_id, odometer, engine_hours, recorded_at,
            source, is_correction, note, created_by_id, created_at)
        SELECT v.org_id, v.id, GREATEST(0, v.odometer - (30 * v.daily_distance)::int),
            GREATEST(0, v.engine_hours - 30 * v.daily_engine_hours::numeric),
            v.odometer_at - interval '30 days',
            'import', false, '', NULL::integer, %(now)s
        FROM vehicles_vehicle v WHERE v.org_id = %(org)s
        UNION ALL
        SELECT v.org_id, v.id, v.odometer, v.engine_hours, v.odometer_at, 'import', false, '',
            NULL, %(now)s
        FROM vehicles_vehicle v WHERE v.org_id = %(org)s
        """,
        params,
    )
    # One interval per vehicle, 5,000 to 20,000 km and 60 to 425 days ahead.
    run(
        f"""
        INSERT INTO intervals_serviceinterval (org_id, vehicle_id, name, preset_id,
            service_at_mileage, service_at_date, notes, start_odometer, predicted_due_at,
            due_at, serviced_at, serviced_odometer, created_at, last_updated)
        SELECT v.org_id, v.id, 'Annual service', NULL, s.mileage, s.at, '', v.odometer,
            LEAST(s.at, %(now)s + make_interval(
                secs => (s.mileage - v.odometer) / v.daily_distance * 86400)),
            NULL, NULL, NULL, %(now)s, %(now)s
        FROM vehicles_vehicle v,
        LATERAL (SELECT v.odometer + 5000 + {_h("v.id", 5)} %% 15000 AS mileage,
                        %(now)s + make_interval(days => 60 + {_h("v.id", 6)} %% 365) AS at) s
        WHERE v.org_id = %(org)s
        """,
        params,
    )
    # One contract per vehicle, ending 90 to 990 days ahead or 20,000 to 120,000 km on.
    run(
        f"""
        INSERT INTO contracts_vehiclecontract (org_id, vehicle_id, contract_type, number,
            provider, description, start_date, end_date, start_odometer, distance_limit, price,
            currency, covered_services, terms, status, cancel_reason, ends_at_odometer,
            warn_at_odometer, warn_from_date, cycle, expiring_told, created_at, updated_at)
        SELECT v.org_id, v.id,
            (ARRAY['manufacturer_warranty', 'extended_warranty', 'service_plan',
                   'maintenance_contract'])[1 + v.id %% 4],
            'C-' || v.vehicle_key, 'Bench Provider', '', c.today - 365, c.ends, v.odometer,
            c.distance, NULL, '', '[]'::jsonb, '', 'active', '', v.odometer + c.distance,
            GREATEST(v.odometer, v.odometer + c.distance - o.contract_warning_distance),
            c.ends - o.contract_warning_days, 1, false, %(now)s, %(now)s
        FROM vehicles_vehicle v JOIN accounts_organization o ON o.id = v.org_id,
        LATERAL (SELECT (%(now)s AT TIME ZONE o.time_zone)::date AS today) t,
        LATERAL (SELECT t.today, t.today + 90 + {_h("v.id", 7)} %% 900 AS ends,
                        20000 + {_h("v.id", 8)} %% 100000 AS distance) c
        WHERE v.org_id = %(org)s
        """,
        params,
    )
    return Fleet(
        org=org,
        advisor_id=membership.user_id,
        endpoint_id=endpoint.pk,
        built_at=now,
        first_vehicle_id=first,
        one_reading_vehicle_id=first,
    )


def build_tasks(fleet: Fleet, size: int) -> None:
    """Replaces the fleet's tasks by ``size`` open ones, then ANALYZEs.

    The first vehicle gets exactly ONE_READING_TASKS tasks; the others share
    the rest. Every task has a mileage and a date condition, every third one
    engine hours too; one in ten lists its own e-mail address, one in twenty
    its own phone, and one in ten has in-app notifications off.
    """
    run("TRUNCATE tasks_servicetask CASCADE")
    names = "ARRAY[" + ", ".join(f"'{n}'" for n in TASK_NAMES) + "]"
    spread_minutes = DATE_SPREAD_DAYS * 24 * 60
    run(
        f"""
        INSERT INTO tasks_servicetask (org_id, vehicle_id, description, comment, cost, repeat,
            unplanned, mileage_limit, mileage_notify, mileage_repeat, date_end, date_notify_days,
            date_repeat_days, hours_limit, hours_notify, hours_repeat, mileage_notify_at,
            mileage_expire_at, date_notify_at, hours_notify_at, hours_expire_at, start_mileage,
            start_engine_hours, start_date, status, status_condition, cycle,
            predicted_end_date, sms_phones, emails, push_enabled, created_at, updated_at)
        SELECT v.org_id, v.id, d.description, '', d.cost, false, false,
            d.mileage_limit, 500, NULL, d.date_end, {NOTIFY_DAYS}, NULL,
            d.hours_limit, d.hours_notify, NULL,
            GREATEST(v.odometer, v.odometer + d.mileage_limit - 500),
            v.odometer + d.mileage_limit,
            d.date_end - make_interval(days => {NOTIFY_DAYS}),
            CASE WHEN d.hours_limit IS NOT NULL
                THEN GREATEST(v.engine_hours, v.engine_hours + d.hours_limit - d.hours_notify) END,
            v.engine_hours + d.hours_limit,
            v.odometer, v.engine_hours, %(now)s, 'created', '', 1,
            LEAST(d.date_end,
                v.odometer_at + make_interval(secs =>
                    d.mileage_limit / v.daily_distance * 86400),
                v.engine_hours_at + make_interval(secs =>
                    (d.hours_limit / v.daily_engine_hours::numeric * 86400)::float8)),
            CASE WHEN g %% 20 = 3 THEN '["{OWN_PHONE}"]'::jsonb ELSE '[]'::jsonb END,
            CASE WHEN g %% 10 = 7 THEN '["{OWN_EMAIL}"]'::jsonb ELSE '[]'::jsonb END,
            g %% 10 <> 5, %(now)s, %(now)s
        FROM generate_series(1, %(size)s) AS g
        CROSS JOIN LATERAL (SELECT
            CASE WHEN g <= {ONE_READING_TASKS} THEN %(first)s
                 ELSE %(first)s + 1 + g %% ({VEHICLES} - 1) END AS vehicle_id,
            ({names})[1 + g %% {len(TASK_NAMES)}] || ' #' || g AS description,
            {_h("g", 11)} %% 500 AS cost,
            1000 + {_h("g", 12)} %% 59000 AS mileage_limit,
            %(now)s + make_interval(days => {FIRST_END_DAYS},
                mins => {_h("g", 13)} %% {spread_minutes}) AS date_end,
            CASE WHEN g %% 3 = 0 THEN (100 + {_h("g", 14)} %% 2000)::numeric END AS hours_limit,
            CASE WHEN g %% 3 = 0 THEN 10.0 END AS hours_notify) d
        JOIN vehicles_vehicle v ON v.id = d.vehicle_id
        """,
        {"size": size, "now": fleet.built_at, "first": fleet.first_vehicle_id},
    )
    fleet.tasks = size
    run("ANALYZE")
