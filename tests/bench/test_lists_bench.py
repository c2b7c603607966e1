"""The API lists beside their floor: `GET /api/v1/tasks?limit=500` and the /v2 task list.

For every size in ``BENCH_SIZES`` (default 100,000 and 1,000,000 open tasks
on 10,000 vehicles, built in SQL by ``tests.bench.fleet``) a second
organization gets 10,000 of those tasks on 1,000 vehicles of its own. The
product is the request through Django's test client with an API key (the
whole middleware stack); the floor is one hand-written cursor query
returning the same rows and columns (the count included) and ``json.dumps``
of the same structure. They run alternately, ``BENCH_PAIRS`` times (default
5); medians, ratios, statements and bytes are printed, written to
test-artifacts/bench.json and to the lists section of docs/benchmarks.md,
and each target prints PASS or FAIL without failing the run. The plans of
the product's statements (``EXPLAIN (ANALYZE, BUFFERS)``) go to
test-artifacts/bench-lists-plans-<size>.txt.

Run: `pytest tests/bench/test_lists_bench.py -p no:randomly -s -o addopts=""`.
"""

import cProfile
import json
import os
import pstats
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Organization
from fleetmaint.tasks.models import ServiceTask
from tests.bench import fleet as fleets
from tests.bench.common import alternate, duration, env_pairs, verdict, write_docs_section
from tests.bench.conftest import ARTIFACTS, env_sizes, record

SIZES = env_sizes("BENCH_SIZES", "100000,1000000")
PAIRS = env_pairs(5)
SMALL_VEHICLES = 1_000
SMALL_TASKS = 10_000
PAGE = 500
RATIO_TARGET = 2.0
START, END = "<!-- bench:lists:start -->", "<!-- bench:lists:end -->"

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmarks are meaningful on PostgreSQL only"
)

MEASURED: list[dict] = []
PLANS: dict[str, str] = {}


def rows(sql: str, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


# --- the 10,000-task organization ---------------------------------------------------------


def build_small_org(fleet: fleets.Fleet) -> Organization:
    """Copies 1,000 of the fleet's vehicles and 10,000 of their tasks into a new organization."""
    org = accounts.org_create(
        name="Lists Bench Small", slug="lists-bench-small", time_zone="Europe/Berlin"
    )
    vehicle_columns = [
        f.column for f in fleet.org.vehicles.model._meta.concrete_fields if f.column != "id"
    ]
    copied = ", ".join("%(small)s" if c == "org_id" else c for c in vehicle_columns)
    fleets.run(
        f"INSERT INTO vehicles_vehicle ({', '.join(vehicle_columns)}) SELECT {copied} "
        "FROM vehicles_vehicle WHERE org_id = %(big)s ORDER BY id LIMIT %(n)s",
        {"small": org.pk, "big": fleet.org.pk, "n": SMALL_VEHICLES},
    )
    task_columns = [f.column for f in ServiceTask._meta.concrete_fields if f.column != "id"]
    replaced = {"org_id": "%(small)s", "vehicle_id": "sv.id", "repeated_from_id": "NULL"}
    copied = ", ".join(replaced.get(c, f"t.{c}") for c in task_columns)
    fleets.run(
        f"INSERT INTO tasks_servicetask ({', '.join(task_columns)}) SELECT {copied} "
        "FROM tasks_servicetask t JOIN vehicles_vehicle bv ON bv.id = t.vehicle_id "
        "JOIN vehicles_vehicle sv ON sv.org_id = %(small)s AND sv.vehicle_key = bv.vehicle_key "
        "WHERE t.org_id = %(big)s ORDER BY t.id LIMIT %(n)s",
        {"small": org.pk, "big": fleet.org.pk, "n": SMALL_TASKS},
    )
    fleets.run("ANALYZE vehicles_vehicle, tasks_servicetask")
    return org


def key_client(org: Organization) -> tuple[Client, str]:
    _, raw = accounts.apikey_create(org=org, name="bench")
    return Client(headers={"Authorization": f"Bearer {raw}"}), raw


# --- floors: one cursor query and json.dumps ------------------------------------------------


def _utc(column: str) -> str:
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def _local(column: str) -> str:
    return f"to_char({column} AT TIME ZONE %(zone)s, 'YYYY-MM-DD HH24:MI:SS')"


def _wear() -> str:
    """The most used condition as a whole percentage, written out by hand in SQL."""
    mileage = (
        "CASE WHEN t.mileage_limit IS NOT NULL AND v.odometer IS NOT NULL THEN "
        "GREATEST(v.odometer - t.start_mileage, 0)::float8 / t.mileage_limit * 100 END"
    )
    date = (
        "CASE WHEN t.date_end IS NOT NULL THEN GREATEST(extract(epoch FROM %(now)s - "
        "t.start_date), 0)::float8 / extract(epoch FROM t.date_end - t.start_date)::float8 "
        "* 100 END"
    )
    hours = (
        "CASE WHEN t.hours_limit IS NOT NULL AND v.engine_hours IS NOT NULL THEN "
        "GREATEST(v.engine_hours - t.start_engine_hours, 0) / t.hours_limit * 100 END"
    )
    return (
        "CASE WHEN t.status = 'done' AND t.completion_wear IS NOT NULL THEN t.completion_wear "
        f"ELSE COALESCE(trunc(GREATEST({mileage}, {date}, {hours}))::int, 0) END"
    )


def _floor_sql(times, *, count: bool, limit: bool) -> str:
    columns = [
        "t.id",
        "t.vehicle_id",
        "v.label",
        "t.description",
        "t.comment",
        "t.cost::float8",
        "t.repeat",
        "t.unplanned",
        "t.status",
        "t.status_condition",
        "t.mileage_limit",
        "t.mileage_notify",
        "t.mileage_repeat",
        times("t.date_end"),
        "t.date_notify_days",
        "t.date_repeat_days",
        "t.hours_limit::float8",
        "t.hours_notify::float8",
        "t.hours_repeat::float8",
        "t.sms_phones",
        "t.emails",
        "t.push_enabled",
        "t.start_mileage",
        times("t.start_date"),
        "t.start_engine_hours::float8",
        "t.completion_mileage",
        times("t.completion_date"),
        "t.completion_engine_hours::float8",
        "v.odometer",
        "v.engine_hours::float8",
        times("t.predicted_end_date"),
        _wear(),
        "(SELECT coalesce(array_agg(f.taskfile_id ORDER BY f.taskfile_id), '{}') "
        "FROM tasks_servicetask_files f WHERE f.servicetask_id = t.id)",
        times("t.created_at"),
        times("t.updated_at"),
    ]
    if count:
        columns.append("(SELECT count(*) FROM tasks_servicetask c WHERE c.org_id = %(org)s)")
    return (
        f"SELECT {', '.join(columns)} FROM tasks_servicetask t "
        "JOIN vehicles_vehicle v ON v.id = t.vehicle_id WHERE t.org_id = %(org)s "
        "ORDER BY t.predicted_end_date ASC NULLS LAST, t.id" + (" LIMIT %(limit)s" if limit else "")
    )


def _condition(limit, notify, repeat, key: str = "limit") -> dict | None:
    if limit is None:
        return None
    return {key: limit, "notification_interval": notify, "repeat_interval": repeat}


def floor_api(org: Organization) -> bytes:
    now = timezone.now()
    found = rows(
        _floor_sql(_utc, count=True, limit=True), {"org": org.pk, "limit": PAGE, "now": now}
    )
    now_text = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
    items = []
    for r in found:
        items.append(
            {
                "id": r[0],
                "vehicle_id": r[1],
                "vehicle_label": r[2],
                "description": r[3],
                "comment": r[4],
                "cost": r[5],
                "repeat": r[6],
                "unplanned": r[7],
                "status": r[8],
                "status_condition": r[9] or None,
                "conditions": {
                    "mileage": _condition(r[10], r[11], r[12]),
                    "date": _condition(r[13], r[14], r[15], "end"),
                    "engine_hours": _condition(r[16], r[17], r[18]),
                },
                "notifications": {"sms_phones": r[19], "emails": r[20], "push_enabled": r[21]},
                "start": {"mileage": r[22], "date": r[23], "engine_hours": r[24]},
                "completion": None
                if r[8] != "done"
                else {"mileage": r[25], "date": r[26], "engine_hours": r[27]},
                "completion_date": r[26],
                "current_position": {"mileage": r[28], "date": now_text, "engine_hours": r[29]},
                "prediction": {"end_date": r[30], "wear_percentage": r[31]},
                "file_ids": r[32],
                "created_at": r[33],
                "updated_at": r[34],
            }
        )
    return json.dumps({"count": found[0][35] if found else 0, "items": items}).encode()


def _present(**conditions) -> dict:
    return {kind: value for kind, value in conditions.items() if value is not None}


def floor_v2(org: Organization) -> bytes:
    now = timezone.now()
    zone = org.time_zone
    found = rows(
        _floor_sql(_local, count=False, limit=False), {"org": org.pk, "now": now, "zone": zone}
    )
    now_text = now.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
    listed = []
    for r in found:
        listed.append(
            {
                "id": r[0],
                "repeat": r[6],
                "unplanned": r[7],
                "completion_date": r[26],
                "vehicle_id": r[1],
                "cost": r[5],
                "start": {"mileage": r[22], "date": r[23], "engine_hours": r[24]},
                "completion": None
                if r[8] != "done"
                else {"mileage": r[25], "date": r[26], "engine_hours": r[27]},
                "conditions": _present(
                    mileage=_condition(r[10], r[11], r[12]),
                    date=_condition(r[13], r[14], r[15], "end"),
                    engine_hours=_condition(r[16], r[17], r[18]),
                ),
                "notifications": {
                    "sms_phones": [p.removeprefix("+") for p in r[19]],
                    "emails": r[20],
                    "push_enabled": r[21],
                },
                "status": r[8],
                "description": r[3],
                "comment": r[4],
                "file_ids": r[32],
                "vehicle_label": r[2],
                "prediction": {"end_date": r[30], "wear_percentage": r[31]},
                "current_position": {"mileage": r[28], "date": now_text, "engine_hours": r[29]},
            }
        )
    return json.dumps({"success": True, "list": listed}).encode()


# --- products: the requests ------------------------------------------------------------------


def product_api(client: Client) -> bytes:
    response = client.get(f"/api/v1/tasks?limit={PAGE}")
    assert response.status_code == 200, response.content[:300]
    return response.content


def product_v2(client: Client, raw: str) -> bytes:
    response = client.post(
        "/v2/vehicle/service_task/list", json.dumps({"hash": raw}), content_type="application/json"
    )
    assert response.status_code == 200, response.content[:300]
    return response.content


def same_rows(product: bytes, floor: bytes, key: str) -> bool:
    """The floor answers the same tasks in the same order (and the same count)."""
    mine, theirs = json.loads(product), json.loads(floor)
    same = [t["id"] for t in mine[key]] == [t["id"] for t in theirs[key]]
    return same and mine.get("count") == theirs.get("count")


def profile(name: str, work) -> None:
    """BENCH_PROFILE=1: where the product's time goes, by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(work)
    print(f"  -- profile of {name}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def measure(name: str, size: int, product, floor, key: str) -> dict:
    product()  # warm: the key's first use of the minute is recorded, caches fill
    if os.environ.get("BENCH_PROFILE"):
        profile(name, product)
    measured = alternate(product, floor, pairs=PAIRS)
    product_bytes, floor_bytes = measured.product[-1].result, measured.floor[-1].result
    matches = same_rows(product_bytes, floor_bytes, key)
    ratio = measured.product_s / measured.floor_s
    passed = ratio <= RATIO_TARGET
    entry = record(
        name,
        size=size,
        product_s=measured.product_s,
        floor_s=measured.floor_s,
        ratio=ratio,
        statements=measured.statements,
        bytes=len(product_bytes),
        floor_statements=measured.floor_statements,
        floor_bytes=len(floor_bytes),
        same_rows=matches,
        target=f"<= {RATIO_TARGET:g}x floor",
        passed=passed,
        product_runs_s=[round(r.seconds, 4) for r in measured.product],
        floor_runs_s=[round(r.seconds, 4) for r in measured.floor],
    )
    MEASURED.append(entry)
    print(
        f"  {name:<46} product {duration(measured.product_s):>9} ({measured.statements} st, "
        f"{len(product_bytes):,} B)  floor {duration(measured.floor_s):>9} "
        f"({measured.floor_statements} st, {len(floor_bytes):,} B)  ratio {ratio:5.2f}  "
        f"{verdict(passed)} <= {RATIO_TARGET:g}x" + ("" if matches else "  ROWS DIFFER")
    )
    assert matches, f"{name}: the floor does not answer the same tasks as the product"
    return entry


# --- plans ------------------------------------------------------------------------------------


def capture_plans(label: str, size: int, work) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the product issues, replayed after it."""
    with CaptureQueriesContext(connection) as captured:
        work()
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or "tasks_servicetask" not in sql:
            continue
        # The logged statement has its parameters written in: run it without any, so
        # that a literal % (SQL's modulo) is not read as a placeholder.
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(r[0] for r in cursor.fetchall())
        plans.append(f"-- {sql}\n{plan}\n")
    text = "\n".join(plans)
    PLANS[f"{label} at {size:,} tasks"] = text
    ARTIFACTS.mkdir(exist_ok=True)
    slug = label.split()[0].strip("/").replace("/", "-")
    (ARTIFACTS / f"bench-lists-plans-{slug}-{size}.txt").write_text(text)


# --- the benchmark ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_lists(size):
    print(f"\n== API lists at {size:,} tasks on {fleets.VEHICLES:,} vehicles ==")
    fleet = fleets.build_base()
    fleets.build_tasks(fleet, size)
    small = build_small_org(fleet)
    counted = rows(
        "SELECT count(*) FILTER (WHERE org_id = %(big)s), count(*) FILTER (WHERE org_id = "
        "%(small)s) FROM tasks_servicetask",
        {"big": fleet.org.pk, "small": small.pk},
    )[0]
    assert counted == (size, SMALL_TASKS), counted
    big_client, _ = key_client(fleet.org)
    small_client, small_raw = key_client(small)

    measure(
        f"GET /api/v1/tasks?limit={PAGE} ({SMALL_TASKS:,}-task organization)",
        size,
        lambda: product_api(small_client),
        lambda: floor_api(small),
        "items",
    )
    measure(
        f"GET /api/v1/tasks?limit={PAGE} ({size:,}-task organization)",
        size,
        lambda: product_api(big_client),
        lambda: floor_api(fleet.org),
        "items",
    )
    measure(
        f"/v2/vehicle/service_task/list ({SMALL_TASKS:,}-task organization)",
        size,
        lambda: product_v2(small_client, small_raw),
        lambda: floor_v2(small),
        "list",
    )
    capture_plans(
        f"/api/v1/tasks?limit={PAGE} ({size:,}-task org)", size, lambda: product_api(big_client)
    )
    capture_plans(
        f"/v2/vehicle/service_task/list ({SMALL_TASKS:,}-task org)",
        size,
        lambda: product_v2(small_client, small_raw),
    )


# --- docs/benchmarks.md ---------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def generated_docs_section():
    yield
    if MEASURED:
        write_lists_section()


def write_lists_section() -> None:
    lines = [
        "",
        f"_Generated on {timezone.now():%Y-%m-%d %H:%M} UTC: medians of {PAIRS} alternating "
        "product/floor runs. Product: the request through Django's test client with an API key. "
        "Floor: one hand-written cursor query returning the same rows and columns (the count "
        "included) and `json.dumps` of the same structure._",
        "",
        "| size | list | product | floor | ratio | statements (product / floor) "
        "| bytes (product / floor) | target | |",
        "|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for e in MEASURED:
        lines.append(
            f"| {e['size']:,} | {e['name']} | {duration(e['product_s'])} | "
            f"{duration(e['floor_s'])} | {e['ratio']:.2f}x | {e['statements']} / "
            f"{e['floor_statements']} | {e['bytes']:,} / {e['floor_bytes']:,} | {e['target']} | "
            f"{verdict(e['passed'])} |"
        )
    lines.append("")
    largest = max(e["size"] for e in MEASURED)
    for label, text in PLANS.items():
        if not label.endswith(f" at {largest:,} tasks"):
            continue  # every size's plans are in test-artifacts/bench-lists-plans-*.txt
        lines += [f"Plans of `{label}` (`EXPLAIN (ANALYZE, BUFFERS)`):", "", "```text"]
        plan_lines = text.splitlines()
        if len(plan_lines) > 60:
            plan_lines = [*plan_lines[:60], f"… ({len(plan_lines) - 60} more lines)"]
        lines += [*plan_lines, "```", ""]
    write_docs_section(START, END, lines)
