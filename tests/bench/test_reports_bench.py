"""The service works report at 100,020 tasks: each format beside its floor, in its own process.

The fleet is built in SQL (``tests.bench.fleet``: 10,000 vehicles, 100,020
open tasks), then one task in ten is marked done (a completion day and
wear), one in seven unplanned, one in a thousand given a description that
starts like a formula. The report is the whole list (``status=all``, the
default order), written to a file.

Every run is a separate Python process (``tests.bench.report_runner``), so
its peak resident memory (VmHWM) is the report's own, start-up included;
the product and its floor run alternately, ``BENCH_PAIRS`` times (default
3), and the figures are medians. Floors, fed the same rows by one
hand-written query:

- XLSX: XlsxWriter in ``constant_memory`` mode, one psycopg cursor, one typed call per cell;
- CSV: ``psql -c "COPY (...) TO STDOUT WITH (FORMAT csv)"`` (its time includes psql's start);
- XLS: xlwt, one cursor (65,000 rows: an XLS sheet holds 65,535);
- PDF: no floor; its time and memory are reported (``BENCH_PDF_RUNS``, default 1).

Targets print PASS or FAIL without failing the run: XLSX at most 1.5x its
floor, CSV at most 3x, every report's peak RSS at most 150 MB. Figures go to
test-artifacts/bench.json and the generated section of docs/benchmarks.md.

Run: ``DATABASE_URL=postgres://… pytest tests/bench/test_reports_bench.py
-p no:randomly -s -o addopts=""``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.reports import task_report, task_rows
from fleetmaint.reports.sheet_text import plain_sql
from fleetmaint.tasks import wear_sql
from fleetmaint.tasks.models import Status
from tests.bench import fleet as fleets
from tests.bench.common import Pairs, Run, duration, env_pairs, verdict, write_docs_section
from tests.bench.conftest import record

ROWS = 100_020
XLS_ROWS = 65_000
PAIRS = env_pairs(3)
PDF_RUNS = max(int(os.environ.get("BENCH_PDF_RUNS", "1")), 1)
XLSX_RATIO, CSV_RATIO, PEAK_RSS_MB = 1.5, 3.0, 150
ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- bench:reports:start -->", "<!-- bench:reports:end -->"

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmarks are meaningful on PostgreSQL only"
)

MEASURED: list[dict] = []
PLAN: list[str] = []


# --- the fleet ------------------------------------------------------------------------------


def finish_fleet() -> None:
    """Done, unplanned and formula-like tasks among the open ones the fleet builder made."""
    fleets.run(
        "UPDATE tasks_servicetask SET status = 'done', "
        "completion_date = start_date + interval '3 days', completion_wear = 40 + id %% 60 "
        "WHERE id %% 10 = 0"
    )
    fleets.run("UPDATE tasks_servicetask SET unplanned = true WHERE id %% 7 = 0")
    fleets.run("UPDATE tasks_servicetask SET description = '=' || description WHERE id %% 1000 = 1")
    fleets.run("VACUUM ANALYZE tasks_servicetask")


# --- the floors' statements -------------------------------------------------------------------


def _base_sql(org, columns: list[str], limit: int | None) -> str:
    tail = f" LIMIT {int(limit)}" if limit else ""
    return (
        f"SELECT {', '.join(columns)} FROM tasks_servicetask t "
        f"JOIN vehicles_vehicle v ON v.id = t.vehicle_id WHERE t.org_id = {int(org.pk)} "
        f"ORDER BY t.predicted_end_date ASC NULLS LAST, t.id ASC{tail}"
    )


def _zone(org) -> str:
    return "'" + org.time_zone.replace("'", "''") + "'"


def floor_rows_sql(org, limit: int | None = None) -> str:
    """The report's typed rows, by hand: the spreadsheets' floor query."""
    wear = wear_sql.task_wear("t", "v", str(wear_sql.micros_of(timezone.now())))
    zone = _zone(org)
    return _base_sql(
        org,
        [
            "t.id",
            "v.label",
            "t.description",
            sql.choice_label("t.status", Status.choices),
            "t.unplanned",
            wear,
            f"(t.predicted_end_date AT TIME ZONE {zone})::date",
            f"(t.completion_date AT TIME ZONE {zone})::date",
            "t.cost",
        ],
        limit,
    )


def floor_csv_sql(org) -> str:
    """The report's CSV cells, by hand: the statement psql copies out."""
    wear = wear_sql.task_wear("t", "v", str(wear_sql.micros_of(timezone.now())))
    zone = _zone(org)
    return _base_sql(
        org,
        [
            "t.id",
            f"NULLIF({plain_sql('v.label')}, '')",
            f"NULLIF({plain_sql('t.description')}, '')",
            sql.choice_label("t.status", Status.choices),
            "CASE WHEN t.unplanned THEN 'Yes' ELSE 'No' END",
            wear,
            f"to_char((t.predicted_end_date AT TIME ZONE {zone})::date, 'YYYY-MM-DD')",
            f"to_char((t.completion_date AT TIME ZONE {zone})::date, 'YYYY-MM-DD')",
            "CAST(t.cost AS TEXT)",
        ],
        None,
    )


# --- runs in their own processes ---------------------------------------------------------------


def _database() -> dict:
    settings = connection.settings_dict
    return {
        "user": settings["USER"] or "postgres",
        "password": settings.get("PASSWORD") or "",
        "host": settings["HOST"] or "127.0.0.1",
        "port": str(settings["PORT"] or 5432),
        "name": settings["NAME"],  # the test database
    }


def dsn() -> str:
    db = _database()
    password = f":{db['password']}" if db["password"] else ""
    return f"postgresql://{db['user']}{password}@{db['host']}:{db['port']}/{db['name']}"


def in_process(job: dict) -> Run:
    """Runs one job in a fresh Python process; its own figures come back as JSON."""
    env = {**os.environ, "DATABASE_URL": dsn(), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.report_runner", json.dumps(job)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise AssertionError(f"report runner failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(figures["seconds"], 0, figures["peak_rss_mb"], figures)


def psql_copy(statement: str, out: Path) -> Run:
    """The CSV floor: psql writes PostgreSQL's CSV of the statement to a file."""
    import time

    command = [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        dsn(),
        "-c",
        f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)",
    ]
    started = time.perf_counter()
    with out.open("wb") as target:
        subprocess.run(command, stdout=target, check=True)
    elapsed = time.perf_counter() - started
    size = out.stat().st_size
    return Run(elapsed, 1, None, {"bytes": size, "rows": out.read_bytes().count(b"\n")})


def product_job(org, fmt: str, out: Path, limit: int | None = None) -> dict:
    return {"kind": "product", "org": org.pk, "format": fmt, "limit": limit, "out": str(out)}


def floor_job(kind: str, statement: str, org, out: Path) -> dict:
    return {"kind": kind, "sql": statement, "dsn": dsn(), "currency": org.currency, "out": str(out)}


def alternate(product, floor, pairs: int = PAIRS) -> Pairs:
    measured = Pairs()
    for _ in range(pairs):
        measured.product.append(product())
        measured.floor.append(floor())
    return measured


# --- recording ------------------------------------------------------------------------------------


def report(name: str, size: int, measured: Pairs, *, ratio_target: float | None) -> dict:
    """Prints and records one format's figures; PASS/FAIL against its targets."""
    product, floor = (
        measured.product[-1].result,
        measured.floor[-1].result if measured.floor else {},
    )
    peak = max(r.peak_rss_mb for r in measured.product)
    ratio = measured.product_s / measured.floor_s if measured.floor else None
    targets = [f"peak RSS <= {PEAK_RSS_MB} MB"]
    passed = peak <= PEAK_RSS_MB
    if ratio_target is not None:
        targets.insert(0, f"<= {ratio_target}x floor")
        passed = passed and ratio <= ratio_target
    floor_peaks = [r.peak_rss_mb for r in measured.floor if r.peak_rss_mb]
    entry = record(
        name,
        size=size,
        product_s=measured.product_s,
        floor_s=measured.floor_s if measured.floor else None,
        ratio=ratio,
        bytes=product["bytes"],
        floor_bytes=floor.get("bytes"),
        peak_rss_mb=peak,
        floor_peak_rss_mb=max(floor_peaks) if floor_peaks else None,
        rows=product["rows"],
        target=", ".join(targets),
        passed=passed,
        product_runs_s=[round(r.seconds, 4) for r in measured.product],
        floor_runs_s=[round(r.seconds, 4) for r in measured.floor],
    )
    MEASURED.append(entry)
    shown_ratio = f"ratio {ratio:5.2f}" if ratio else "ratio   n/a"
    print(
        f"  {name:<38} product {duration(measured.product_s):>9}  "
        f"floor {duration(entry['floor_s']):>9}  {shown_ratio}  peak {peak:5.0f} MB  "
        f"{product['bytes'] / 1e6:6.1f} MB  {verdict(passed)} {entry['target']}"
    )
    return entry


def capture_plan(org) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the rows' statement the XLSX, XLS and PDF reports run."""
    request = task_report.report_request(task_report.page_filters({"status": "all"}))
    statement, params = task_rows.row_select(org, request, timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
        PLAN[:] = [row[0] for row in cursor.fetchall()]


# --- the benchmark --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_reports(tmp_path):
    print(f"\n== service works report at {ROWS:,} tasks, {PAIRS} pair(s) per format ==")
    fleet = fleets.build_base()
    fleets.build_tasks(fleet, ROWS)
    finish_fleet()
    org = fleet.org
    files = {name: tmp_path / name for name in ("p.xlsx", "f.xlsx", "p.csv", "f.csv")}
    files.update({name: tmp_path / name for name in ("p.xls", "f.xls", "p.pdf")})

    xlsx = alternate(
        lambda: in_process(product_job(org, "xlsx", files["p.xlsx"])),
        lambda: in_process(floor_job("xlsx", floor_rows_sql(org), org, files["f.xlsx"])),
    )
    report("XLSX", ROWS, xlsx, ratio_target=XLSX_RATIO)

    copy_sql = floor_csv_sql(org)
    csv = alternate(
        lambda: in_process(product_job(org, "csv", files["p.csv"])),
        lambda: psql_copy(copy_sql, files["f.csv"]),
    )
    report("CSV", ROWS, csv, ratio_target=CSV_RATIO)
    product_lines = files["p.csv"].read_bytes().split(b"\r\n")[1:-1]
    floor_lines = files["f.csv"].read_bytes().split(b"\n")[:-1]
    same_ids = [line.split(b",", 1)[0] for line in product_lines] == [
        line.split(b",", 1)[0] for line in floor_lines
    ]
    print(f"  CSV rows: product {len(product_lines):,}, psql {len(floor_lines):,}, same order: "
          f"{same_ids}")  # fmt: skip
    assert same_ids and len(product_lines) == ROWS

    xls = alternate(
        lambda: in_process(product_job(org, "xls", files["p.xls"], limit=XLS_ROWS)),
        lambda: in_process(floor_job("xls", floor_rows_sql(org, XLS_ROWS), org, files["f.xls"])),
    )
    report("XLS (65,000 rows)", XLS_ROWS, xls, ratio_target=None)

    pdf = Pairs(
        product=[in_process(product_job(org, "pdf", files["p.pdf"])) for _ in range(PDF_RUNS)]
    )
    report("PDF (A4, not grouped)", ROWS, pdf, ratio_target=None)

    capture_plan(org)
    write_section()


# --- docs/benchmarks.md ---------------------------------------------------------------------------


def write_section() -> None:
    lines = [
        "",
        "## Service works report at 100,020 tasks (`tests/bench/test_reports_bench.py`)",
        "",
        f"_Generated on {timezone.now():%Y-%m-%d %H:%M} UTC: medians of {PAIRS} alternating "
        f"product/floor runs (PDF: {PDF_RUNS} run(s)), each in its own process; peak RSS is "
        "the process's VmHWM, Python and Django start-up included (the largest of the runs); "
        "ratio = product time / floor time._",
        "",
        "| report | rows | product | floor | ratio | peak RSS product / floor | file | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for e in MEASURED:
        ratio = f"{e['ratio']:.2f}x" if e["ratio"] else ""
        floor_rss = f"{e['floor_peak_rss_mb']:.0f} MB" if e["floor_peak_rss_mb"] else "n/a"
        lines.append(
            f"| {e['name']} | {e['rows']:,} | {duration(e['product_s'])} | "
            f"{duration(e['floor_s'])} | {ratio} | {e['peak_rss_mb']:.0f} MB / {floor_rss} | "
            f"{e['bytes'] / 1e6:.1f} MB | {e['target']} | {verdict(e['passed'])} |"
        )
    lines += [
        "",
        "Floors: XLSX and XLS are the raw writers fed one psycopg cursor over a hand-written "
        "query of the same rows (wear, local dates and labels computed the same way), in a "
        'process without Django; CSV is `psql -c "COPY (...) TO STDOUT WITH (FORMAT csv)"` '
        "of the same cells (its time includes starting psql). The product's time starts "
        "before its first query (so it includes connecting) and ends when the file is closed.",
        "",
    ]
    if PLAN:
        lines += [
            "Plan of the rows' statement (XLSX, XLS, PDF) over the whole list, "
            "`EXPLAIN (ANALYZE, BUFFERS)`:",
            "",
            "```text",
            *PLAN[:30],
            "```",
            "",
        ]
    write_docs_section(START, END, lines)
