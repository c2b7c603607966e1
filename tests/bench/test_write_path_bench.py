"""The write path at fleet scale: sweeps, readings and delivery, each beside its floor.

For every size in ``BENCH_SIZES`` (default 100,000 and 1,000,000 open tasks
on 10,000 vehicles, built in SQL by ``tests.bench.fleet``) the product and a
hand-written floor run alternately, ``BENCH_PAIRS`` times (default 3), with
the state put back between runs (untimed). Medians, ratios and statement
counts are printed, written to test-artifacts/bench.json and to the generated
section of docs/benchmarks.md. Targets print PASS or FAIL without failing
the run; a floor and a product that do not change the same rows fail it.

Run with `make bench` (DATABASE_URL must point at PostgreSQL), or only this
file: `pytest tests/bench/test_write_path_bench.py -p no:randomly -s -o addopts=""`.
"""

import json
import logging
import os
import smtplib
import threading
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleetmaint import sweeps
from fleetmaint.accounts import services as accounts
from fleetmaint.notifications import delivery
from fleetmaint.vehicles import jobs as vehicle_jobs
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.bench import common
from tests.bench import fleet as fleets
from tests.bench.common import Pairs, alternate, duration, env_pairs, timed, verdict
from tests.bench.conftest import ARTIFACTS, env_sizes, record
from tests.notifications.conftest import free_port

SIZES = env_sizes("BENCH_SIZES", "100000,1000000")
PAIRS = env_pairs(3)
READINGS = fleets.VEHICLES
EMAILS = int(os.environ.get("BENCH_EMAILS", "10000"))
START, END = "<!-- bench:write-path:start -->", "<!-- bench:write-path:end -->"

# Targets: (description, test on the recorded entry).
SWEEP_RATIO = 1.5
BULK_SHARE = 0.15
ONE_READING_STATEMENTS = 15
EMAILS_PER_S = 100

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmarks are meaningful on PostgreSQL only"
)

# What this module measured, for the generated section of docs/benchmarks.md.
MEASURED: list[dict] = []
PLANS: dict[int, list[tuple[str, str]]] = {}


def run(sql: str, params: dict | None = None) -> int:
    return fleets.run(sql, params)


def rows(sql: str, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def vacuum(*tables: str) -> None:
    run(f"VACUUM (ANALYZE) {', '.join(tables)}")


def has_column(table: str, column: str) -> bool:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, table)
    return any(c.name == column for c in described)


# --- reporting ------------------------------------------------------------------------


def report(
    name: str,
    size: int | None,
    measured: Pairs,
    *,
    target: str,
    passed: bool,
    counted: bool = True,
    **extra,
) -> dict:
    """Records and prints one measurement; ``counted=False`` where statements run elsewhere."""
    entry = record(
        name,
        size=size,
        product_s=measured.product_s,
        floor_s=measured.floor_s,
        statements=measured.statements if counted else None,
        floor_statements=measured.floor_statements if counted else None,
        peak_rss_mb=measured.peak_rss_mb,
        target=target,
        passed=passed,
        product_runs_s=[round(r.seconds, 4) for r in measured.product],
        floor_runs_s=[round(r.seconds, 4) for r in measured.floor],
        **extra,
    )
    MEASURED.append(entry)
    counts = (
        (f"({measured.statements:>3} st)", f"({measured.floor_statements:>2} st)")
        if counted
        else ("", "")
    )
    print(
        f"  {name:<44} product {measured.product_s * 1000:>9.1f} ms {counts[0]}  "
        f"floor {measured.floor_s * 1000:>9.1f} ms {counts[1]}  ratio {entry['ratio']:>6.2f}  "
        f"{verdict(passed)} {target}"
    )
    return entry


# --- state between runs -----------------------------------------------------------------


class State:
    """Marks the rows present before the runs, so each run's writes can be taken back."""

    def __init__(self, fleet: fleets.Fleet):
        self.fleet = fleet
        self.event_mark = fleets.scalar("SELECT coalesce(max(id), 0) FROM notifications_event")
        self.reading_mark = fleets.scalar("SELECT coalesce(max(id), 0) FROM vehicles_reading")
        # A plain (unlogged) table, not a temporary one: it must outlive the
        # test connection, which Django may reopen between measurements.
        run("DROP TABLE IF EXISTS bench_vehicle_meters")
        run(
            "CREATE UNLOGGED TABLE bench_vehicle_meters AS SELECT id, odometer, odometer_at, "
            "engine_hours, engine_hours_at, daily_distance, daily_engine_hours "
            "FROM vehicles_vehicle"
        )

    def statuses_back(self) -> None:
        run(
            "UPDATE tasks_servicetask SET status = 'created', status_condition = '' "
            "WHERE status <> 'created'"
        )
        run("UPDATE intervals_serviceinterval SET due_at = NULL WHERE due_at IS NOT NULL")
        run(
            "UPDATE contracts_vehiclecontract SET status = 'active', expiring_told = false "
            "WHERE status <> 'active' OR expiring_told"
        )
        run(
            "DELETE FROM notifications_deliveryattempt WHERE message_id IN "
            "(SELECT id FROM notifications_message WHERE event_id > %(mark)s)",
            {"mark": self.event_mark},
        )
        run(
            "DELETE FROM notifications_message WHERE event_id > %(mark)s", {"mark": self.event_mark}
        )
        run("DELETE FROM notifications_event WHERE id > %(mark)s", {"mark": self.event_mark})
        run("DELETE FROM django_q_ormq")

    def meters_back(self) -> None:
        run("DELETE FROM vehicles_reading WHERE id > %(mark)s", {"mark": self.reading_mark})
        run(
            "UPDATE vehicles_vehicle v SET odometer = s.odometer, odometer_at = s.odometer_at, "
            "engine_hours = s.engine_hours, engine_hours_at = s.engine_hours_at, "
            "daily_distance = s.daily_distance, daily_engine_hours = s.daily_engine_hours "
            "FROM bench_vehicle_meters s WHERE s.id = v.id AND ("
            "v.odometer IS DISTINCT FROM s.odometer OR v.odometer_at IS DISTINCT FROM "
            "s.odometer_at OR v.engine_hours IS DISTINCT FROM s.engine_hours OR "
            "v.daily_distance IS DISTINCT FROM s.daily_distance OR "
            "v.daily_engine_hours IS DISTINCT FROM s.daily_engine_hours)"
        )

    def sweep_reset(self) -> None:
        self.statuses_back()
        vacuum(
            "tasks_servicetask",
            "notifications_event",
            "notifications_message",
            "intervals_serviceinterval",
            "contracts_vehiclecontract",
        )

    def readings_reset(self) -> None:
        self.statuses_back()
        self.meters_back()
        vacuum("vehicles_reading", "vehicles_vehicle", "tasks_servicetask")

    def changes(self) -> dict:
        """What a run changed: task statuses, events and messages (untimed)."""
        mark = {"mark": self.event_mark}
        return {
            "tasks": set(
                rows("SELECT id, status FROM tasks_servicetask WHERE status <> 'created'")
            ),
            "intervals": fleets.scalar(
                "SELECT count(*) FROM intervals_serviceinterval WHERE due_at IS NOT NULL"
            ),
            "contracts": fleets.scalar(
                "SELECT count(*) FROM contracts_vehiclecontract "
                "WHERE status <> 'active' OR expiring_told"
            ),
            "events": fleets.scalar(
                "SELECT count(*) FROM notifications_event WHERE id > %(mark)s", mark
            ),
            "messages": fleets.scalar(
                "SELECT count(*) FROM notifications_message WHERE event_id > %(mark)s", mark
            ),
        }

    def written(self) -> tuple[dict, set]:
        """The events (by dedupe key) and messages of the run, to compare texts and recipients."""
        mark = {"mark": self.event_mark}
        audience = ", audience" if has_column("notifications_event", "audience") else ""
        events = {
            row[0]: row[1:]
            for row in rows(
                "SELECT dedupe_key, name, subject, text, link, payload"
                f"{audience} FROM notifications_event WHERE id > %(mark)s",
                mark,
            )
        }
        messages = set(
            rows(
                "SELECT e.dedupe_key, m.channel, m.address, m.user_id, m.endpoint_id, m.status "
                "FROM notifications_message m JOIN notifications_event e ON e.id = m.event_id "
                "WHERE m.event_id > %(mark)s",
                mark,
            )
        )
        return events, messages


# --- floors: the date sweep ---------------------------------------------------------------

TASKS_DATE_UPDATE = """
UPDATE tasks_servicetask t
SET status = CASE WHEN t.date_end <= %(now)s THEN 'expired' ELSE 'notified' END,
    status_condition = 'date'
FROM vehicles_vehicle v
WHERE v.id = t.vehicle_id AND NOT v.archived
  AND ((t.status = 'created' AND t.date_notify_at <= %(now)s)
       OR (t.status IN ('created', 'notified') AND t.date_end <= %(now)s))
RETURNING t.id
"""

INTERVALS_DATE_UPDATE = """
UPDATE intervals_serviceinterval i SET due_at = %(now)s
FROM vehicles_vehicle v
WHERE v.id = i.vehicle_id AND NOT v.archived
  AND i.serviced_at IS NULL AND i.due_at IS NULL AND i.service_at_date <= %(now)s
"""

CONTRACTS_ENDED_UPDATE = """
UPDATE contracts_vehiclecontract c SET status = 'expired'
FROM accounts_organization o, vehicles_vehicle v
WHERE o.id = c.org_id AND v.id = c.vehicle_id AND NOT v.archived AND c.status = 'active'
  AND c.end_date < (%(now)s AT TIME ZONE o.time_zone)::date
"""

CONTRACTS_WARNING_UPDATE = """
UPDATE contracts_vehiclecontract c SET expiring_told = true
FROM accounts_organization o, vehicles_vehicle v
WHERE o.id = c.org_id AND v.id = c.vehicle_id AND NOT v.archived AND c.status = 'active'
  AND NOT c.expiring_told AND c.warn_from_date <= (%(now)s AT TIME ZONE o.time_zone)::date
"""


def _thousands(expression: str, places: int = 0) -> str:
    decimals = "." + "0" * places if places else ""
    return f"to_char({expression}, 'FM999,999,999,999,990{decimals}')"


def _task_facts() -> str:
    """The facts of tasks.services._notice, in its order, leaving out the absent ones."""

    def fact(label: str, value: str, present: str | None = None) -> str:
        pair = f"jsonb_build_array(jsonb_build_array('{label}', {value}))"
        return f"CASE WHEN {present} THEN {pair} ELSE '[]'::jsonb END" if present else pair

    facts = [
        fact("Vehicle", "v.label || ' (' || v.vehicle_key || ')'"),
        fact("Task", "t.description"),
        fact(
            "Mileage limit",
            f"{_thousands('t.mileage_expire_at')} || ' ' || v.distance_unit",
            "t.mileage_expire_at IS NOT NULL",
        ),
        fact(
            "Ends on",
            "to_char(t.date_end AT TIME ZONE o.time_zone, 'YYYY-MM-DD')",
            "t.date_end IS NOT NULL",
        ),
        fact(
            "Engine-hours limit",
            f"{_thousands('t.hours_expire_at', 1)} || ' h'",
            "t.hours_expire_at IS NOT NULL",
        ),
        fact(
            "Current odometer",
            f"{_thousands('v.odometer')} || ' ' || v.distance_unit",
            "v.odometer IS NOT NULL",
        ),
        fact(
            "Current engine hours",
            f"{_thousands('v.engine_hours', 1)} || ' h'",
            "v.tracks_engine_hours AND v.engine_hours IS NOT NULL",
        ),
    ]
    return "(" + " || ".join(facts) + ")"


def tasks_events_insert(with_audience: bool) -> str:
    expired = "t.status = 'expired'"
    audience_column = ", audience" if with_audience else ""
    audience = (
        ", jsonb_build_object('advisors', true, 'users', '[]'::jsonb, 'emails', t.emails, "
        "'phones', t.sms_phones, 'push', t.push_enabled, 'webhooks', true)"
        if with_audience
        else ""
    )
    return f"""
INSERT INTO notifications_event (org_id, name, dedupe_key, subject, text, link, payload,
    batch, created_at{audience_column})
SELECT t.org_id,
    CASE WHEN {expired} THEN 'task.expired' ELSE 'task.notified' END,
    left('task:' || t.id || ':' || t.status || ':cycle-' || t.cycle, 200),
    left(t.description || ' on ' || v.label
         || CASE WHEN {expired} THEN ' is overdue' ELSE ' is due soon' END, 200),
    t.description || ' on ' || v.label
        || CASE WHEN {expired} THEN ' has reached its ' ELSE ' is close to its ' END
        || CASE t.status_condition WHEN 'mileage' THEN 'mileage' WHEN 'date' THEN 'date'
                WHEN 'engine_hours' THEN 'engine hours' ELSE '' END || ' limit.',
    '/vehicles/' || v.id || '/tasks/',
    jsonb_build_object('facts', {_task_facts()}, 'data', jsonb_build_object(
        'task_id', t.id, 'vehicle_id', v.id, 'status', t.status,
        'condition', t.status_condition)),
    %(batch)s, %(now)s{audience}
FROM tasks_servicetask t
JOIN vehicles_vehicle v ON v.id = t.vehicle_id
JOIN accounts_organization o ON o.id = t.org_id
WHERE t.id = ANY(%(ids)s)
ON CONFLICT (org_id, dedupe_key) DO NOTHING
"""


# One message per recipient and channel: the fleet's admins and advisors by their
# preferences (e-mail and in-app by default), the task's own e-mails and phones,
# and the fleet's active webhook endpoints; a person's address comes first.
MESSAGES_INSERT = """
WITH batch AS (
    SELECT e.id, e.org_id, e.name, t.emails, t.sms_phones, t.push_enabled
    FROM notifications_event e
    JOIN tasks_servicetask t ON t.id = (e.payload -> 'data' ->> 'task_id')::bigint
    WHERE e.batch = %(batch)s
),
wanted AS (
    SELECT b.org_id, b.id AS event_id, ch.channel,
        CASE ch.channel WHEN 'email' THEN lower(u.email) WHEN 'sms' THEN p.phone
             ELSE 'user:' || u.id END AS address,
        u.id AS user_id, NULL::integer AS endpoint_id, 1 AS rank, u.id AS tiebreak
    FROM batch b
    JOIN accounts_membership m ON m.org_id = b.org_id AND m.role IN ('admin', 'advisor')
    JOIN auth_user u ON u.id = m.user_id
    LEFT JOIN notifications_preference p ON p.user_id = u.id
    CROSS JOIN LATERAL jsonb_array_elements_text(
        COALESCE(p.channels -> b.name, '["email", "push"]'::jsonb)) AS ch(channel)
    WHERE (ch.channel = 'email' AND u.email <> '')
       OR (ch.channel = 'sms' AND coalesce(p.phone, '') <> '')
       OR (ch.channel = 'push' AND b.push_enabled)
    UNION ALL
    SELECT b.org_id, b.id, 'email', lower(trim(x.value)), NULL, NULL, 2, 0
    FROM batch b, jsonb_array_elements_text(b.emails) AS x(value)
    UNION ALL
    SELECT b.org_id, b.id, 'sms', x.value, NULL, NULL, 2, 0
    FROM batch b, jsonb_array_elements_text(b.sms_phones) AS x(value)
    UNION ALL
    SELECT b.org_id, b.id, 'webhook', 'endpoint:' || w.id, NULL, w.id, 3, 0
    FROM batch b JOIN notifications_webhookendpoint w ON w.org_id = b.org_id AND w.active
    WHERE jsonb_array_length(w.events) = 0 OR w.events ? b.name
)
INSERT INTO notifications_message (org_id, event_id, channel, address, user_id, endpoint_id,
    status, attempts, next_attempt_at, last_error, created_at)
SELECT DISTINCT ON (event_id, channel, address) org_id, event_id, channel, address, user_id,
    endpoint_id, 'pending', 0, %(now)s, '', %(now)s
FROM wanted WHERE address <> ''
ORDER BY event_id, channel, address, rank, tiebreak
ON CONFLICT DO NOTHING
"""


def floor_nothing_due() -> int:
    now = {"now": timezone.now()}
    changed = 0
    with transaction.atomic():
        for statement in (
            TASKS_DATE_UPDATE,
            INTERVALS_DATE_UPDATE,
            CONTRACTS_ENDED_UPDATE,
            CONTRACTS_WARNING_UPDATE,
        ):
            changed += run(statement, now)
    return changed


EVENTS_INSERT: list[str] = []


def floor_crossing() -> int:
    """Tasks in three statements (update, events, messages); intervals and contracts checked."""
    params = {"now": timezone.now(), "batch": uuid.uuid4()}
    events_insert = EVENTS_INSERT[0]
    with transaction.atomic():
        ids = [row[0] for row in rows(TASKS_DATE_UPDATE, params)]
        if ids:
            run(events_insert, {**params, "ids": ids})
            run(MESSAGES_INSERT, params)
        for statement in (INTERVALS_DATE_UPDATE, CONTRACTS_ENDED_UPDATE, CONTRACTS_WARNING_UPDATE):
            run(statement, params)
    return len(ids)


def product_sweep() -> int:
    return sum(sweeps.sweep_dates().values())


# --- the sweeps ---------------------------------------------------------------------------


def bench_sweeps(fleet: fleets.Fleet, state: State, size: int) -> None:
    nothing = alternate(product_sweep, floor_nothing_due, state.sweep_reset, pairs=PAIRS)
    changed = [r.result for r in nothing.product + nothing.floor]
    assert not any(changed), f"A sweep at 'now' changed rows ({changed}): the data is wrong"
    report(
        "date sweep, nothing due",
        size,
        nothing,
        target=f"<= {SWEEP_RATIO}x floor at 1M",
        passed=nothing.product_s <= SWEEP_RATIO * nothing.floor_s,
    )

    moment = fleet.crossing_moment
    EVENTS_INSERT[:] = [tasks_events_insert(has_column("notifications_event", "audience"))]

    def at_moment(work):
        def moved():
            with time_machine.travel(moment, tick=False):
                return work()

        return moved

    contents: list[tuple[dict, set]] = []

    def observe():
        contents.append(state.written())
        return state.changes()

    crossing = alternate(
        at_moment(product_sweep),
        at_moment(floor_crossing),
        state.sweep_reset,
        pairs=PAIRS,
        observe=observe,
    )
    expected = crossing.product[0].observed
    for kind, runs in (("product", crossing.product), ("floor", crossing.floor)):
        for number, outcome in enumerate(runs, 1):
            seen = outcome.observed
            if seen["tasks"] != expected["tasks"]:
                only_product = sorted(expected["tasks"] - seen["tasks"])[:5]
                only_this = sorted(seen["tasks"] - expected["tasks"])[:5]
                pytest.fail(
                    f"The {kind} (run {number}) changed other tasks than the product's first "
                    f"run: {len(seen['tasks'])} vs {len(expected['tasks'])}; only the product: "
                    f"{only_product}, only the {kind}: {only_this}"
                )
            for what in ("events", "messages", "intervals", "contracts"):
                if seen[what] != expected[what]:
                    pytest.fail(
                        f"The {kind} (run {number}) wrote {seen[what]} {what}, the product's "
                        f"first run {expected[what]}"
                    )
    crossed = len(expected["tasks"])
    share = crossed / size
    assert crossed, "No task crossed: the crossing window does not match the data"
    assert expected["intervals"] == expected["contracts"] == 0, "the crossing set is tasks only"
    same_content = _compare_contents(contents[0], contents[1])
    statuses = {}
    for _, status in expected["tasks"]:
        statuses[status] = statuses.get(status, 0) + 1
    print(
        f"    crossing at +{fleets.CROSSING_DAYS} days: {crossed:,} tasks ({share:.2%}; "
        f"{statuses}), {expected['events']:,} events, {expected['messages']:,} messages; "
        f"floor texts and recipients {'match' if same_content else 'DIFFER'}"
    )
    report(
        "date sweep, ~2% crossing",
        size,
        crossing,
        target=f"<= {SWEEP_RATIO}x floor at 1M",
        passed=crossing.product_s <= SWEEP_RATIO * crossing.floor_s,
        crossed=crossed,
        crossed_share=share,
        events=expected["events"],
        messages=expected["messages"],
        floor_content_matches=same_content,
    )
    print(
        f"    statements: {nothing.statements} nothing due, {crossing.statements} crossing "
        "(events and messages inserts, and the delivery job queued on commit)"
    )


def _normalized(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _compare_contents(product: tuple[dict, set], floor: tuple[dict, set]) -> bool:
    """True when the floor wrote the product's events (texts, payload) and messages."""
    product_events, product_messages = product
    floor_events, floor_messages = floor
    same = True
    for key in sorted(product_events.keys() | floor_events.keys()):
        mine = tuple(_normalized(v) for v in product_events.get(key, ()))
        theirs = tuple(_normalized(v) for v in floor_events.get(key, ()))
        if mine != theirs:
            print(f"    WARN event {key} differs:\n      product {mine}\n      floor   {theirs}")
            same = False
            break
    if product_messages != floor_messages:
        print(
            "    WARN messages differ: only the product "
            f"{sorted(product_messages - floor_messages)[:3]}, only the floor "
            f"{sorted(floor_messages - product_messages)[:3]}"
        )
        same = False
    return same


SKIPPED_PREFIXES = ("SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN")
EXPLAINED_PREFIXES = ("SELECT", "UPDATE", "WITH")


def capture_plans(fleet: fleets.Fleet, state: State, size: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the product's crossing sweep, statement by statement.

    The sweep runs once in a transaction that is rolled back, to capture its
    SQL; the statements are then replayed in order in another rolled-back
    transaction, each SELECT and UPDATE under EXPLAIN ANALYZE (the others run
    under EXPLAIN ANALYZE too, so that later statements see their effects).
    """
    state.sweep_reset()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with time_machine.travel(fleet.crossing_moment, tick=False):
            sweeps.sweep_dates()
        transaction.set_rollback(True)
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"].strip()
            word = sql.split(None, 1)[0].upper() if sql else ""
            if not sql or word in SKIPPED_PREFIXES:
                continue
            if word in ("SELECT", "UPDATE", "INSERT", "DELETE", "WITH"):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                if word in EXPLAINED_PREFIXES:
                    plans.append((sql, plan))
            else:
                cursor.execute(sql)
        transaction.set_rollback(True)
    PLANS[size] = plans
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / f"bench-plans-{size}.txt").open("w") as out:
        for sql, plan in plans:
            out.write(f"-- {sql}\n{plan}\n\n")
    print(f"    plans of {len(plans)} sweep statements in test-artifacts/bench-plans-{size}.txt")
    state.sweep_reset()


# --- readings -----------------------------------------------------------------------------

READING_COLUMNS = (
    "org_id, vehicle_id, odometer, engine_hours, recorded_at, source, is_correction, note, "
    "created_by_id, created_at"
)


def new_readings(fleet: fleets.Fleet) -> list[tuple[int, int, str]]:
    """One valid reading per vehicle: 20 to 219 km on, 1.5 h more, five minutes ago."""
    return [
        (pk, odometer + 20 + (pk * 37) % 200, f"{float(engine_hours) + 1.5:.1f}")
        for pk, odometer, engine_hours in rows(
            "SELECT id, odometer, engine_hours FROM vehicles_vehicle "
            "WHERE org_id = %(org)s ORDER BY id",
            {"org": fleet.org.pk},
        )
    ]


def bench_bulk_readings(fleet: fleets.Fleet, state: State, size: int) -> None:
    _, raw = accounts.apikey_create(org=fleet.org, name="bench")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    readings = new_readings(fleet)
    assert len(readings) == READINGS
    sent: dict = {}
    # A server answers warm: the first request imports the API's modules.
    warm = api.post("/api/v1/readings/bulk", "[]", content_type="application/json")
    assert warm.status_code == 200

    def product():
        at = (timezone.now() - timedelta(minutes=5)).isoformat()
        body = json.dumps(
            [
                {"vehicle_id": pk, "odometer": odometer, "engine_hours": hours, "recorded_at": at}
                for pk, odometer, hours in readings
            ]
        )
        sent["product_bytes"] = len(body)
        response = api.post("/api/v1/readings/bulk", body, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
        result = response.json()
        assert result["created"] == len(readings) and not result["errors"], result["errors"][:3]
        return result["created"]

    def floor():
        at = timezone.now() - timedelta(minutes=5)
        stamp = at.isoformat()
        now = timezone.now().isoformat()
        data = "".join(
            f"{fleet.org.pk}\t{pk}\t{odometer}\t{hours}\t{stamp}\tapi\tf\t\t\\N\t{now}\n"
            for pk, odometer, hours in readings
        ).encode()
        sent["floor_bytes"] = len(data)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY vehicles_reading ({READING_COLUMNS}) FROM STDIN") as copy,
        ):
            copy.write(data)
        return len(readings)

    def count_new():
        return fleets.scalar(
            "SELECT count(*) FROM vehicles_reading WHERE id > %(mark)s",
            {"mark": state.reading_mark},
        )

    measured = alternate(
        product, floor, state.readings_reset, pairs=PAIRS, observe=count_new, uncounted_floor=1
    )
    for outcome in measured.product + measured.floor:
        assert outcome.observed == len(readings), f"{outcome.observed} readings stored"
    product_rate = len(readings) / measured.product_s
    floor_rate = len(readings) / measured.floor_s
    share = product_rate / floor_rate
    report(
        f"{len(readings):,} readings: bulk API vs COPY",
        size,
        measured,
        target=f">= {BULK_SHARE:.0%} of COPY rows/s",
        passed=share >= BULK_SHARE,
        rows=len(readings),
        product_rows_s=product_rate,
        floor_rows_s=floor_rate,
        share_of_floor=share,
        bytes=sent["product_bytes"],
        floor_bytes=sent["floor_bytes"],
    )
    print(f"    {product_rate:,.0f} rows/s through the API, {floor_rate:,.0f} rows/s by COPY")

    # The batch's predicted dates are refreshed by a job queued on commit:
    # measured here on its own, after the same readings.
    state.readings_reset()
    product()
    ids = [pk for pk, _, _ in readings]
    job = timed(lambda: vehicle_jobs.refresh_predictions(ids))
    state.readings_reset()
    entry = record(
        "prediction refresh job after the 10,000 readings",
        size=size,
        product_s=job.seconds,
        statements=job.statements,
        rows=job.result,
    )
    MEASURED.append(entry)
    print(
        f"  {entry['name']:<44} product {job.seconds * 1000:>9.1f} ms ({job.statements:>3} st)  "
        f"{job.result:,} dates moved (background, after commit)"
    )


def bench_one_reading(fleet: fleets.Fleet, state: State, size: int) -> None:
    pk = fleet.one_reading_vehicle_id
    tasks = fleets.scalar(
        "SELECT count(*) FROM tasks_servicetask WHERE vehicle_id = %(pk)s", {"pk": pk}
    )
    assert tasks == fleets.ONE_READING_TASKS

    def product():
        vehicle = Vehicle.objects.get(pk=pk)
        return vehicles.reading_record(
            vehicle=vehicle, odometer=vehicle.odometer + 50, engine_hours=vehicle.engine_hours + 1
        )

    def floor():
        now = timezone.now()
        with transaction.atomic():
            run(
                f"INSERT INTO vehicles_reading ({READING_COLUMNS}) SELECT org_id, id, "
                "odometer + 50, engine_hours + 1, %(now)s, 'manual', false, '', NULL, %(now)s "
                "FROM vehicles_vehicle WHERE id = %(pk)s",
                {"now": now, "pk": pk},
            )
            run(
                "UPDATE vehicles_vehicle SET odometer = odometer + 50, odometer_at = %(now)s, "
                "engine_hours = engine_hours + 1, engine_hours_at = %(now)s WHERE id = %(pk)s",
                {"now": now, "pk": pk},
            )

    def reset():
        state.statuses_back()
        state.meters_back()

    measured = alternate(product, floor, reset, pairs=max(PAIRS, 5))
    report(
        f"one reading, vehicle with {tasks} tasks",
        size,
        measured,
        target=f"<= {ONE_READING_STATEMENTS} statements",
        passed=measured.statements <= ONE_READING_STATEMENTS,
    )


# --- the benchmark per size -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_write_path(size):
    print(f"\n== write path at {size:,} tasks on {fleets.VEHICLES:,} vehicles ==")
    started = time.perf_counter()
    fleet = fleets.build_base()
    fleets.build_tasks(fleet, size)
    built = time.perf_counter() - started
    counts = rows(
        "SELECT (SELECT count(*) FROM vehicles_vehicle), (SELECT count(*) FROM tasks_servicetask),"
        " (SELECT count(*) FROM intervals_serviceinterval),"
        " (SELECT count(*) FROM contracts_vehiclecontract)"
    )[0]
    assert counts == (fleets.VEHICLES, size, fleets.VEHICLES, fleets.VEHICLES), counts
    print(f"  built in {built:.1f} s: {counts}")
    MEASURED.append(
        record("build: vehicles, tasks, intervals, contracts", size=size, product_s=built)
    )
    state = State(fleet)
    try:
        bench_sweeps(fleet, state, size)
        capture_plans(fleet, state, size)
        bench_one_reading(fleet, state, size)
        bench_bulk_readings(fleet, state, size)
    finally:
        run("DROP TABLE IF EXISTS bench_vehicle_meters")


# --- delivery -------------------------------------------------------------------------------


class CountingReceiver:
    """An SMTP receiver on loopback that only counts what it accepts."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += len(envelope.rcpt_tos)
        return "250 Message accepted"


def drain_once() -> int:
    """One pass of whatever the outbox's drain is called today."""
    drain = getattr(delivery, "deliver_pending", None)
    if drain is not None:
        return drain() or 0
    return delivery.deliver_due(limit=200)


def pending() -> int:
    return fleets.scalar("SELECT count(*) FROM notifications_message WHERE status = 'pending'")


def two_workers(work) -> None:
    """Runs ``work`` in two threads, each with its own database connection, until both end."""
    errors: list[BaseException] = []

    def worker():
        try:
            work()
        except BaseException as error:  # reported in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.django_db(transaction=True)
def test_delivery_of_emails(settings):
    print(f"\n== delivery of {EMAILS:,} e-mails to SMTP on loopback, two workers ==")
    receiver = CountingReceiver()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port = free_port()
    controller = Controller(receiver, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    org = accounts.org_create(name="Delivery Bench", slug="delivery-bench")
    now = timezone.now()
    audience = has_column("notifications_event", "audience")
    run(
        """
        INSERT INTO notifications_event (org_id, name, dedupe_key, subject, text, link, payload,
            batch, created_at"""
        + (", audience" if audience else "")
        + """)
        SELECT %(org)s, 'task.expired', 'task:' || g || ':expired:cycle-1',
            'Oil change #' || g || ' on Truck ' || g || ' is overdue',
            'Oil change #' || g || ' on Truck ' || g || ' has reached its date limit.',
            '/vehicles/' || g || '/tasks/',
            jsonb_build_object('facts', jsonb_build_array(
                jsonb_build_array('Vehicle', 'Truck ' || g),
                jsonb_build_array('Task', 'Oil change'),
                jsonb_build_array('Ends on', '2026-01-01')),
                'data', jsonb_build_object('task_id', g)),
            NULL, %(now)s"""
        + (
            ", jsonb_build_object('emails', jsonb_build_array('driver-' || g || '@bench.example'))"
            if audience
            else ""
        )
        + """
        FROM generate_series(1, %(n)s) AS g
        """,
        {"org": org.pk, "now": now, "n": EMAILS},
    )
    run(
        """
        INSERT INTO notifications_message (org_id, event_id, channel, address, status, attempts,
            next_attempt_at, last_error, created_at)
        SELECT org_id, id, 'email', 'driver-' || id || '@bench.example', 'pending', 0,
            %(now)s - interval '1 minute', '', %(now)s
        FROM notifications_event WHERE org_id = %(org)s
        """,
        {"org": org.pk, "now": now},
    )
    run("ANALYZE")

    def reset():
        receiver.count = 0
        run("DELETE FROM notifications_deliveryattempt")
        run(
            "UPDATE notifications_message SET status = 'pending', attempts = 0, sent_at = NULL, "
            "claimed_at = NULL, last_error = '', next_attempt_at = now() - interval '1 minute'"
        )
        vacuum("notifications_message", "notifications_deliveryattempt")

    def product():
        def work():
            while drain_once() or pending():
                pass

        two_workers(work)

    sample = EmailMultiAlternatives(
        subject="[Delivery Bench] Oil change #1 on Truck 1 is overdue",
        body="Oil change #1 on Truck 1 has reached its date limit.\n" * 4,
        to=["driver@bench.example"],
    )
    sample.attach_alternative(
        "<p>Oil change #1 on Truck 1 has reached its limit.</p>\n" * 4, "text/html"
    )
    raw = sample.message().as_bytes(linesep="\r\n")

    def floor():
        def work(half: int):
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                for n in range(half):
                    smtp.sendmail("noreply@localhost", [f"driver-{n}@bench.example"], raw)

        halves = iter([EMAILS // 2, EMAILS - EMAILS // 2])
        lock = threading.Lock()

        def take():
            with lock:
                return next(halves)

        two_workers(lambda: work(take()))

    def delivered():
        sent = fleets.scalar("SELECT count(*) FROM notifications_message WHERE status = 'sent'")
        return receiver.count, sent

    try:
        measured = alternate(product, floor, reset, pairs=PAIRS, observe=delivered)
    finally:
        controller.stop()
    for outcome in measured.product:
        assert outcome.observed == (EMAILS, EMAILS), f"received, sent: {outcome.observed}"
    for outcome in measured.floor:
        assert outcome.observed[0] == EMAILS, f"received: {outcome.observed[0]}"
    rate = EMAILS / measured.product_s
    report(
        f"delivery of {EMAILS:,} e-mails, 2 workers",
        None,
        measured,
        target=f">= {EMAILS_PER_S} e-mails/s",
        passed=rate >= EMAILS_PER_S,
        counted=False,
        emails=EMAILS,
        product_per_s=rate,
        floor_per_s=EMAILS / measured.floor_s,
        drain="deliver_pending" if hasattr(delivery, "deliver_pending") else "deliver_due",
        bytes=len(raw) * EMAILS,
    )
    print(f"    {rate:,.0f} e-mails/s by the product, {EMAILS / measured.floor_s:,.0f} by smtplib")


# --- docs/benchmarks.md -------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def generated_docs_section():
    """After the module: the generated section of docs/benchmarks.md, from what was measured."""
    yield
    if any(entry["product_s"] is not None for entry in MEASURED):
        write_docs_section()


def _cell(value) -> str:
    return "" if value is None else str(value)


def _statement_check() -> list[str]:
    """Whether each sweep's statement count stays the same at every size (so every crossing count).

    A sweep that moved nothing skips the outbox's two inserts; one that moved
    anything writes them once, however much moved.
    """
    counts: dict[str, dict[int, int]] = {}
    for e in MEASURED:
        if e["name"].startswith("date sweep"):
            counts.setdefault(e["name"], {})[e["size"]] = e["statements"]
    if not counts:
        return []
    same = all(len(set(per_size.values())) == 1 for per_size in counts.values())
    detail = "; ".join(
        f"{name}: " + ", ".join(f"{n} at {size:,}" for size, n in sorted(per_size.items()))
        for name, per_size in counts.items()
    )
    line = f"{verdict(same)} sweep statement count independent of size and crossings ({detail})"
    print(f"  {line}")
    return [f"- {line}."]


def write_docs_section() -> None:
    lines = [
        "",
        f"_Generated by `make bench` on {timezone.now():%Y-%m-%d %H:%M} UTC: medians of "
        f"{PAIRS} alternating product/floor run(s) each (one reading: {max(PAIRS, 5)}); "
        "ratio = product time / floor time._",
        "",
    ]
    sizes = sorted({e["size"] for e in MEASURED if e["size"] is not None})
    for size in sizes:
        lines += [
            f"### {size:,} open tasks",
            "",
            "| measurement | product | floor | ratio | statements (product / floor) | peak RSS "
            "| target | |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for e in (e for e in MEASURED if e["size"] == size):
            if e["floor_s"] is None:
                lines.append(f"| {e['name']} | {duration(e['product_s'])} | | | | | | |")
                continue
            statements = (
                f"{e['statements']} / {e['floor_statements']}"
                if e["statements"] is not None
                else ""
            )
            rss = f"{e['peak_rss_mb']:.0f} MB" if e["peak_rss_mb"] else ""
            lines.append(
                f"| {e['name']} | {duration(e['product_s'])} | {duration(e['floor_s'])} | "
                f"{e['ratio']:.2f}x | {statements} | {rss} | {e['target']} | "
                f"{verdict(e['passed'])} |"
            )
        notes = []
        for e in (e for e in MEASURED if e["size"] == size):
            if "crossed" in e:
                notes.append(
                    f"- Crossing: {e['crossed']:,} tasks ({e['crossed_share']:.2%}) at "
                    f"+{fleets.CROSSING_DAYS} days, {e['events']:,} events, "
                    f"{e['messages']:,} messages; the floor's texts and recipients "
                    + ("match the product." if e["floor_content_matches"] else "DIFFER!")
                )
            if "product_rows_s" in e:
                notes.append(
                    f"- Readings: {e['product_rows_s']:,.0f} rows/s through "
                    f"`POST /api/v1/readings/bulk`, {e['floor_rows_s']:,.0f} rows/s by COPY: "
                    f"{e['share_of_floor']:.1%} of COPY ({verdict(e['passed'])} >= "
                    f"{BULK_SHARE:.0%}); request body {e['bytes']:,} bytes, COPY data "
                    f"{e['floor_bytes']:,} bytes."
                )
        lines += ["", *notes, ""]
    others = [e for e in MEASURED if e["size"] is None]
    if others:
        lines += [
            "### Delivery",
            "",
            "| measurement | product | floor (smtplib, one connection per worker) | ratio "
            "| per second (product / floor) | target | |",
            "|---|---:|---:|---:|---:|---|---|",
        ]
        for e in others:
            lines.append(
                f"| {e['name']} (drain: `{e['drain']}`) | {duration(e['product_s'])} | "
                f"{duration(e['floor_s'])} | {e['ratio']:.2f}x | {e['product_per_s']:,.0f} / "
                f"{e['floor_per_s']:,.0f} | {e['target']} | {verdict(e['passed'])} |"
            )
        lines.append("")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        lines += [
            f"### Growth from {small:,} to {large:,} tasks",
            "",
            f"| measurement | {small:,} | {large:,} | growth | statements {small:,} -> {large:,} |",
            "|---|---:|---:|---:|---|",
        ]
        for e in (e for e in MEASURED if e["size"] == small):
            other = next(
                (o for o in MEASURED if o["size"] == large and o["name"] == e["name"]), None
            )
            if other is None or not e["product_s"]:
                continue
            lines.append(
                f"| {e['name']} | {duration(e['product_s'])} | {duration(other['product_s'])} | "
                f"{other['product_s'] / e['product_s']:.1f}x | "
                f"{_cell(e['statements'])} -> {_cell(other['statements'])} |"
            )
        lines.append("")
    lines += _statement_check()
    if PLANS:
        size = max(PLANS)
        lines += [
            "",
            f"### Plans of the product's crossing sweep at {size:,} tasks",
            "",
            "`EXPLAIN (ANALYZE, BUFFERS)` of each SELECT and UPDATE the product issued, replayed "
            "in order in a rolled-back transaction (every size: "
            "`test-artifacts/bench-plans-*.txt`).",
            "",
        ]
        for number, (sql, plan) in enumerate(PLANS[size], 1):
            shown = " ".join(sql.split())
            shown = shown if len(shown) <= 400 else shown[:400] + " …"
            plan_lines = plan.splitlines()
            if len(plan_lines) > 40:
                plan_lines = [*plan_lines[:40], f"… ({len(plan_lines) - 40} more lines)"]
            lines += [
                f"{number}. `{shown.replace('`', chr(39))}`",
                "",
                "```text",
                *plan_lines,
                "```",
                "",
            ]
    common.write_docs_section(START, END, lines)
