"""The CSV import of 100,000 meter readings, beside a COPY floor.

The fleet (``tests.bench.import_data``: 1,000 vehicles with tasks, intervals
and contracts far from due) gets a file of 100 readings per vehicle, one a
day over the last 100 days: semicolon-separated, UTF-8 with a byte-order
mark. The product is the import service from the file's bytes:
``read_csv`` then ``readings_import`` (every reading rule, duplicates,
chunks of the bulk path, the vehicles' meters and daily usage, the tasks
re-evaluated). The floor loads the same bytes with plain SQL: one query for
the vehicles by key, the rows parsed by the ``csv`` module and sent with
``COPY vehicles_reading FROM STDIN``, then one ``UPDATE ... FROM`` moving
each vehicle's current meters to its newest reading.

The second figure imports the same file again, when every row is stored
already (all duplicates); its floor copies the rows into a temporary table
and inserts those not stored yet with one ``INSERT ... WHERE NOT EXISTS``
(none).

Product and floor run alternately, ``BENCH_PAIRS`` times (default 3), the
readings and the vehicles' meters put back between runs (untimed); figures
are medians. The target (the product's median under 60 s) fails the run;
figures go to test-artifacts/bench.json and the generated section of
docs/benchmarks.md. ``BENCH_IMPORT_PROFILE=1`` adds one profiled product run
(test-artifacts/bench-import-profile.txt).

Run: ``DATABASE_URL=postgres://… pytest tests/bench/test_import_bench.py
-p no:randomly -s -o addopts=""``.
"""

import cProfile
import csv
import io
import os
import pstats
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fleetmaint.imports.services import read_csv, readings_import
from tests.bench import import_data
from tests.bench.common import Pairs, alternate, duration, env_pairs, verdict, write_docs_section
from tests.bench.conftest import ARTIFACTS, record
from tests.bench.fleet import run, scalar

PAIRS = env_pairs(3)
TARGET_S = 60.0
PROFILE = bool(os.environ.get("BENCH_IMPORT_PROFILE"))
START, END = "<!-- bench:import:start -->", "<!-- bench:import:end -->"

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmarks are meaningful on PostgreSQL only"
)

MEASURED: list[dict] = []
NOTES: dict[str, object] = {}

READING_COLUMNS = (
    "org_id, vehicle_id, odometer, engine_hours, recorded_at, source, is_correction, note, "
    "created_by_id, created_at"
)


# --- state between runs ---------------------------------------------------------------------


class State:
    """The readings and meters before the runs, so each run's writes can be taken back."""

    def __init__(self, fleet: import_data.ImportFleet):
        self.fleet = fleet
        self.reading_mark = scalar("SELECT coalesce(max(id), 0) FROM vehicles_reading")
        self.event_mark = scalar("SELECT coalesce(max(id), 0) FROM notifications_event")
        # Unlogged, not temporary: it must outlive the connection, which Django may reopen.
        run("DROP TABLE IF EXISTS bench_import_meters")
        run(
            "CREATE UNLOGGED TABLE bench_import_meters AS SELECT id, odometer, odometer_at, "
            "engine_hours, engine_hours_at, daily_distance, daily_engine_hours "
            "FROM vehicles_vehicle WHERE org_id = %(org)s",
            {"org": fleet.org.pk},
        )

    def reset(self) -> None:
        run("DELETE FROM vehicles_reading WHERE id > %(mark)s", {"mark": self.reading_mark})
        run(
            "UPDATE vehicles_vehicle v SET odometer = s.odometer, odometer_at = s.odometer_at, "
            "engine_hours = s.engine_hours, engine_hours_at = s.engine_hours_at, "
            "daily_distance = s.daily_distance, daily_engine_hours = s.daily_engine_hours "
            "FROM bench_import_meters s WHERE s.id = v.id"
        )
        # The prediction refreshes the product queues for a worker, which is not running.
        run("DELETE FROM django_q_ormq")
        run("VACUUM (ANALYZE) vehicles_reading, vehicles_vehicle")

    def imported(self) -> None:
        """The state after a first import: reset, then the file stored (by the floor)."""
        self.reset()
        copy_floor(self.fleet)
        run("VACUUM (ANALYZE) vehicles_reading, vehicles_vehicle")

    def observed(self) -> tuple:
        """What a run left: new readings, the vehicles' meters, events (untimed)."""
        return (
            scalar(
                "SELECT count(*) FROM vehicles_reading WHERE id > %(mark)s",
                {"mark": self.reading_mark},
            ),
            *rows_one(
                "SELECT sum(odometer), sum(engine_hours), max(odometer_at) FROM vehicles_vehicle "
                "WHERE org_id = %(org)s",
                {"org": self.fleet.org.pk},
            ),
            scalar(
                "SELECT count(*) FROM notifications_event WHERE id > %(mark)s",
                {"mark": self.event_mark},
            ),
        )


def rows_one(sql: str, params: dict) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


# --- the product -------------------------------------------------------------------------------


def product(fleet: import_data.ImportFleet, parts: dict):
    started = time.perf_counter()
    table = read_csv(fleet.data)
    parts.setdefault("read_csv", []).append(time.perf_counter() - started)
    return readings_import(org=fleet.org, table=table, mapping=import_data.MAPPING)


# --- the floors --------------------------------------------------------------------------------


def copy_rows(fleet: import_data.ImportFleet, constants: str = "") -> bytes:
    """The file's rows as COPY text: the vehicle by one query, the cells by the csv module.

    ``constants`` (tab-separated, with a leading tab) ends every row.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vehicle_key, id FROM vehicles_vehicle WHERE org_id = %s", [fleet.org.pk]
        )
        ids = dict(cursor.fetchall())
    reader = csv.reader(io.StringIO(fleet.data.decode("utf-8-sig"), newline=""), delimiter=";")
    header = next(reader)
    key, odometer, hours, taken = (
        header.index(name) for name in ("vehicle_key", "odometer", "engine_hours", "taken_at")
    )
    return "".join(
        f"{ids[row[key]]}\t{row[odometer]}\t{row[hours]}\t{row[taken]}{constants}\n"
        for row in reader
    ).encode()


def copy_floor(fleet: import_data.ImportFleet) -> int:
    """COPY into the readings table, then each vehicle's meters from its newest reading."""
    org, now = fleet.org.pk, timezone.now()
    data = copy_rows(fleet, f"\t{org}\timport\tf\t\t{now.isoformat()}")
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY vehicles_reading (vehicle_id, odometer, engine_hours, recorded_at, org_id, "
            "source, is_correction, note, created_at) FROM STDIN"
        ) as copy:
            copy.write(data)
        cursor.execute(
            """
            UPDATE vehicles_vehicle v
            SET odometer = n.odometer, odometer_at = n.recorded_at,
                engine_hours = n.engine_hours, engine_hours_at = n.recorded_at
            FROM (
                SELECT DISTINCT ON (r.vehicle_id) r.vehicle_id, r.odometer, r.engine_hours,
                    r.recorded_at
                FROM vehicles_reading r JOIN vehicles_vehicle c ON c.id = r.vehicle_id
                WHERE c.org_id = %s AND r.recorded_at > c.odometer_at AND r.voided_at IS NULL
                ORDER BY r.vehicle_id, r.recorded_at DESC, r.id DESC
            ) n
            WHERE v.id = n.vehicle_id
            """,
            [org],
        )
        return cursor.rowcount


def duplicates_floor(fleet: import_data.ImportFleet) -> int:
    """COPY into a temporary table; insert the rows not stored yet (none), in one statement."""
    org, now = fleet.org.pk, timezone.now()
    data = copy_rows(fleet)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_import_rows (vehicle_id bigint, odometer integer, "
            "engine_hours numeric(9, 1), recorded_at timestamptz) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY bench_import_rows FROM STDIN") as copy:
            copy.write(data)
        cursor.execute(
            f"""
            INSERT INTO vehicles_reading ({READING_COLUMNS})
            SELECT %(org)s, s.vehicle_id, s.odometer, s.engine_hours, s.recorded_at, 'import',
                false, '', NULL, %(now)s
            FROM bench_import_rows s
            WHERE NOT EXISTS (
                SELECT 1 FROM vehicles_reading r
                WHERE r.vehicle_id = s.vehicle_id AND r.recorded_at = s.recorded_at
                  AND r.odometer IS NOT DISTINCT FROM s.odometer
                  AND r.engine_hours IS NOT DISTINCT FROM s.engine_hours
                  AND r.voided_at IS NULL)
            """,
            {"org": org, "now": now},
        )
        return cursor.rowcount


# --- reporting ---------------------------------------------------------------------------------


def report(name: str, rows: int, measured: Pairs, **extra) -> dict:
    passed = measured.product_s < TARGET_S
    entry = record(
        name,
        size=rows,
        product_s=measured.product_s,
        floor_s=measured.floor_s,
        statements=measured.statements,
        floor_statements=measured.floor_statements,
        peak_rss_mb=measured.peak_rss_mb,
        bytes=extra.pop("bytes", None),
        target=f"< {TARGET_S:.0f} s",
        passed=passed,
        product_runs_s=[round(r.seconds, 4) for r in measured.product],
        floor_runs_s=[round(r.seconds, 4) for r in measured.floor],
        product_rows_s=rows / measured.product_s,
        floor_rows_s=rows / measured.floor_s,
        **extra,
    )
    MEASURED.append(entry)
    print(
        f"  {name:<40} product {duration(measured.product_s):>9} ({measured.statements} st)  "
        f"floor {duration(measured.floor_s):>9} ({measured.floor_statements} st)  "
        f"ratio {entry['ratio']:>6.2f}  {verdict(passed)} {entry['target']}"
    )
    print(
        f"    {entry['product_rows_s']:,.0f} rows/s by the import, "
        f"{entry['floor_rows_s']:,.0f} rows/s by the floor; product runs "
        + ", ".join(duration(s) for s in entry["product_runs_s"])
    )
    return entry


def profile_once(fleet: import_data.ImportFleet, state: State) -> None:
    """One product run under cProfile; the top functions by cumulative and own time."""
    state.reset()
    profiler = cProfile.Profile()
    profiler.enable()
    product(fleet, {})
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(30)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "bench-import-profile.txt"
    path.write_text(out.getvalue())
    print(f"  profile: {path}")


# --- the benchmark ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_readings_import():
    started = time.perf_counter()
    fleet = import_data.build()
    built = time.perf_counter() - started
    print(
        f"\n== CSV import of {fleet.rows:,} readings ({import_data.VEHICLES:,} vehicles x "
        f"{import_data.PER_VEHICLE}), file {len(fleet.data):,} bytes, built in {built:.1f} s =="
    )
    state = State(fleet)
    parts: dict[str, list[float]] = {}
    try:
        # First import: every row new.
        measured = alternate(
            lambda: product(fleet, parts),
            lambda: copy_floor(fleet),
            state.reset,
            pairs=PAIRS,
            observe=state.observed,
            uncounted_floor=1,
        )
        for outcome in measured.product:
            result = outcome.result
            assert result.imported == fleet.rows, f"imported {result.imported}"
            assert not result.refused, result.refused[:3]
            assert result.duplicates == 0, f"duplicates {result.duplicates}"
        for outcome in measured.product + measured.floor:
            stored, odometers, _, _, events = outcome.observed
            assert stored == fleet.rows, f"{stored} readings stored"
            assert odometers == fleet.newest_odometers, "the vehicles' odometers differ"
            assert events == 0, f"{events} events: the file crossed a threshold"
        assert {o.observed[:4] for o in measured.product + measured.floor} == {
            measured.product[0].observed[:4]
        }, "product and floor leave different meters"
        first = report(
            f"{fleet.rows:,} readings, first import",
            fleet.rows,
            measured,
            bytes=len(fleet.data),
            read_csv_s=min(parts["read_csv"]),
        )
        print(f"    of which read_csv: {duration(first['read_csv_s'])} (fastest run)")

        # The same file again: every row a duplicate, nothing stored.
        parts.clear()
        again = alternate(
            lambda: product(fleet, parts),
            lambda: duplicates_floor(fleet),
            state.imported,
            pairs=PAIRS,
            observe=state.observed,
            uncounted_floor=1,
        )
        for outcome in again.product:
            result = outcome.result
            assert result.imported == 0 and not result.refused, (
                result.imported,
                result.refused[:3],
            )
            assert result.duplicates == fleet.rows, f"duplicates {result.duplicates}"
        for outcome in again.floor:
            assert outcome.result == 0, f"the floor stored {outcome.result} rows again"
        for outcome in again.product + again.floor:
            assert outcome.observed[0] == fleet.rows, f"{outcome.observed[0]} readings stored"
        report(
            f"{fleet.rows:,} readings, same file again",
            fleet.rows,
            again,
            bytes=len(fleet.data),
            read_csv_s=min(parts["read_csv"]),
        )
        if PROFILE:
            profile_once(fleet, state)
        state.reset()
    finally:
        run("DROP TABLE IF EXISTS bench_import_meters")
    write_section(fleet, built)
    assert first["passed"], f"first import median {first['product_s']:.1f} s, target < 60 s"


def write_section(fleet: import_data.ImportFleet, built: float) -> None:
    lines = [
        "",
        f"## CSV import of {fleet.rows:,} readings (`tests/bench/test_import_bench.py`)",
        "",
        f"_Generated on {timezone.now():%Y-%m-%d %H:%M} UTC: medians of {PAIRS} alternating "
        "product/floor run(s); ratio = product time / floor time; the readings and the "
        "vehicles' meters are put back between runs._",
        "",
        f"{import_data.VEHICLES:,} vehicles ({import_data.TASKS_PER_VEHICLE} open tasks, one "
        f"interval and one contract each, nothing crossed by the file), {import_data.PER_VEHICLE}"
        f" readings each, one a day: a semicolon CSV with a BOM of {len(fleet.data):,} bytes "
        f"(built in {built:.1f} s).",
        "",
        "| measurement | product | floor | ratio | rows/s (product / floor) | statements "
        "(product / floor) | peak RSS | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for e in MEASURED:
        rss = f"{e['peak_rss_mb']:.0f} MB" if e["peak_rss_mb"] else ""
        lines.append(
            f"| {e['name']} | {duration(e['product_s'])} | {duration(e['floor_s'])} | "
            f"{e['ratio']:.2f}x | {e['product_rows_s']:,.0f} / {e['floor_rows_s']:,.0f} | "
            f"{e['statements']} / {e['floor_statements']} | {rss} | {e['target']} | "
            f"{verdict(e['passed'])} |"
        )
    lines += [
        "",
        "- Product: `read_csv` of the bytes, then `readings_import` with the four columns "
        "mapped (of which `read_csv`: "
        + ", ".join(f"{duration(e['read_csv_s'])} {e['name'].split(', ')[1]}" for e in MEASURED)
        + "). The prediction refresh each chunk queues goes to the broker and is not run.",
        "- Floor, first import: one query for the vehicles by key, the rows parsed by the `csv` "
        "module and sent by `COPY vehicles_reading FROM STDIN`, one `UPDATE ... FROM` setting "
        "each vehicle's current meters from its newest reading (no rule checks, no daily usage, "
        "no task re-evaluation). Both leave the same readings count and meters (checked).",
        "- Floor, same file again: the rows copied into a temporary table, one "
        "`INSERT ... WHERE NOT EXISTS` storing none.",
        "",
    ]
    write_docs_section(START, END, lines)
