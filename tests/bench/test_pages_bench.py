"""The pages at fleet scale, each beside a constant page behind the same login and layout.

For every size in ``BENCH_SIZES`` (default 100,000 and 1,000,000 open tasks
on 10,000 vehicles, built in SQL by ``tests.bench.fleet``) the advisor's
pages are requested through Django's test client, so the whole middleware
stack counts, alternately with the floor (``tests.bench.pages_urls``),
``BENCH_PAIRS`` times (default 5). Each page is requested once first, which
warms its templates; a page slower than ``BENCH_PAGE_CAP_S`` (default 20 s)
keeps that one figure and is not repeated, so a slow page does not hold the
run up. Medians, ratios, statement counts and response sizes are printed,
written to test-artifacts/bench.json and to the generated section of
docs/benchmarks.md, with the growth from the smallest size to the largest.
At the largest size gunicorn serves the same database with the production
settings and the dashboard is loaded by 50 connections (``tests.bench.load``).

Targets print PASS or FAIL without failing the run.

Run with `make bench` (DATABASE_URL must point at PostgreSQL), or only this
file: `pytest tests/bench/test_pages_bench.py -p no:randomly -s -o addopts=""`.
"""

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.bench import fleet as fleets
from tests.bench import load, served
from tests.bench.common import (
    Pairs,
    alternate,
    duration,
    env_pairs,
    timed,
    verdict,
    write_docs_section,
)
from tests.bench.conftest import ARTIFACTS, env_sizes, record
from tests.bench.pager import deep_page_url
from tests.bench.pages_urls import FLOOR_PATH
from tests.notifications.conftest import free_port

SIZES = env_sizes("BENCH_SIZES", "100000,1000000")
PAIRS = env_pairs(5)
CAP_S = float(os.environ.get("BENCH_PAGE_CAP_S", "20"))
DEEP_PAGE = int(os.environ.get("BENCH_DEEP_PAGE", "4000"))
START, END = "<!-- bench:pages:start -->", "<!-- bench:pages:end -->"

# Targets at the largest size (issue: every page at a million tasks).
MAX_RATIO = 10
MAX_STATEMENTS = 10
MAX_GROWTH = 1.5
BYTES_TOLERANCE = 0.05  # "independent of the fleet's size": within 5%
# Under load: gunicorn, 3 workers, 50 connections.
LOAD_WORKERS = 3
LOAD_CONNECTIONS = 50
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
LOAD_WARMUP_S = 5
MAX_P99_S = 1.0

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmarks are meaningful on PostgreSQL only"
)

# What this module measured, for the growth table and the docs section.
MEASURED: list[dict] = []
GROWTH: list[dict] = []
LOADED: list[dict] = []


# --- the fleet ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_fleet(django_db_setup, django_db_blocker) -> Iterator[fleets.Fleet]:
    """Vehicles, intervals and contracts, once for the module; emptied after it.

    Built outside any test's transaction, so it is committed: it outlives
    each test (the tests only read) and gunicorn sees it too.
    """
    with django_db_blocker.unblock():
        fleet = fleets.build_base()
        try:
            yield fleet
        finally:
            # The other benchmarks build their own organizations in the same database.
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module", params=SIZES, ids=str)
def fleet(request, base_fleet: fleets.Fleet, django_db_blocker) -> fleets.Fleet:
    """The fleet with ``size`` open tasks (the tasks are replaced for every size)."""
    size = request.param
    print(f"\n== pages at {size:,} tasks on {fleets.VEHICLES:,} vehicles ==")
    started = time.perf_counter()
    with django_db_blocker.unblock():
        fleets.build_tasks(base_fleet, size)
    print(f"  {size:,} tasks built in {time.perf_counter() - started:.1f} s")
    return base_fleet


def advisor_client(fleet: fleets.Fleet) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(pk=fleet.advisor_id))
    return client


@pytest.fixture(scope="module")
def committed_session(base_fleet: fleets.Fleet, django_db_blocker) -> str:
    """The advisor's session key, stored outside any test's transaction, for gunicorn."""
    with django_db_blocker.unblock():
        return advisor_client(base_fleet).cookies[settings.SESSION_COOKIE_NAME].value


def not_a_savepoint(sql: str) -> bool:
    """Statements that count for a page: not the savepoints of the test's own transaction.

    Each test runs in a transaction (rolled back after it), so a view's
    ``atomic()`` issues SAVEPOINT and RELEASE, where in production it issues
    BEGIN and COMMIT, which Django does not count as statements.
    """
    return (
        not sql.lstrip()
        .upper()
        .startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    )


# --- one page beside the floor ----------------------------------------------------------------


@dataclass
class Fetched:
    status: int
    bytes: int


def fetcher(client: Client, url: str) -> Callable[[], Fetched]:
    def fetch() -> Fetched:
        response = client.get(url)
        # Sizes only: the dashboard's HTML at a million tasks is over 100 MB.
        return Fetched(response.status_code, len(response.content))

    return fetch


def measure_page(client: Client, url: str) -> tuple[Pairs, bool]:
    """Product and floor alternately, after one product request that warms the page up.

    That first request is left out of the medians, unless it took over CAP_S:
    then it is the page's only figure (beside one floor run), and the page is
    reported as capped.
    """
    product, floor = fetcher(client, url), fetcher(client, "/" + FLOOR_PATH)
    first = timed(product, counts=not_a_savepoint)
    if first.seconds > CAP_S:
        return Pairs(product=[first], floor=[timed(floor, counts=not_a_savepoint)]), True
    return alternate(product, floor, pairs=PAIRS, counts=not_a_savepoint), False


def bench_page(name: str, url: str, client: Client, size: int) -> dict:
    try:
        measured, capped = measure_page(client, url)
    except Exception as error:  # a page broken mid-change must not stop the others
        print(f"  {name:<32} ERROR {error!r}"[:300])
        entry = record(name, size=size, url=url, error=repr(error)[:500])
        MEASURED.append(entry)
        return entry
    statuses = sorted({r.result.status for r in measured.product})
    ratio = measured.product_s / measured.floor_s
    entry = record(
        name,
        size=size,
        url=url,
        product_s=measured.product_s,
        floor_s=measured.floor_s,
        ratio=ratio,
        statements=measured.statements,
        floor_statements=measured.floor_statements,
        bytes=measured.product[-1].result.bytes,
        floor_bytes=measured.floor[-1].result.bytes,
        statuses=statuses,
        runs=len(measured.product),
        capped=capped,
        product_runs_s=[round(r.seconds, 4) for r in measured.product],
        floor_runs_s=[round(r.seconds, 4) for r in measured.floor],
        passed=page_passed(statuses, ratio, measured.statements),
    )
    MEASURED.append(entry)
    print_page(entry)
    return entry


def page_passed(statuses: list[int], ratio: float, statements: int) -> bool:
    """The targets one size can tell: status 200, the ratio, the statement count."""
    return statuses == [200] and ratio <= MAX_RATIO and statements <= MAX_STATEMENTS


def print_page(e: dict) -> None:
    capped = f" (1 run: over {CAP_S:g} s)" if e["capped"] else ""
    status = "" if e["statuses"] == [200] else f" status {e['statuses']}"
    print(
        f"  {e['name']:<32} product {duration(e['product_s']):>10} ({e['statements']:>3} st)  "
        f"floor {duration(e['floor_s']):>8} ({e['floor_statements']} st)  "
        f"ratio {e['ratio']:>9,.1f}  {e['bytes']:>11,} B  "
        f"{verdict(e['passed'])} <= {MAX_RATIO}x, <= {MAX_STATEMENTS} st{status}{capped}"
    )


# --- which pages ----------------------------------------------------------------------------


def pages(fleet: fleets.Fleet, client: Client) -> list[tuple[str, str | None]]:
    """(name, URL) of every page measured; the deep Tasks page as its pager links to it.

    The vehicle is the one with exactly ``ONE_READING_TASKS`` tasks at every
    size, so its page and tabs show the same rows while the fleet grows.
    """
    tasks = reverse("tasks:list")
    vehicle = fleet.first_vehicle_id
    return [
        ("dashboard", reverse("home")),
        ("Tasks page", tasks),
        ("Tasks page ?status=all", f"{tasks}?status=all"),
        ("Tasks page, deep", deep_tasks_url(client, tasks)),
        ("Due page", reverse("intervals:due")),
        ("Vehicles page", reverse("vehicles:list")),
        ("vehicle page", reverse("vehicles:detail", args=[vehicle])),
        ("vehicle: Schedule tab", reverse("intervals:schedule", args=[vehicle])),
        ("vehicle: Tasks tab", reverse("tasks:vehicle", args=[vehicle])),
        ("vehicle: Contracts tab", reverse("contracts:vehicle", args=[vehicle])),
        ("Contracts page", reverse("contracts:list")),
        ("Orders page", reverse("orders:list")),
    ]


def deep_tasks_url(client: Client, url: str) -> str | None:
    """The deep Tasks page the pager of the first page leads to (requests untimed)."""

    def html(address: str) -> str:
        return client.get(address).content.decode()

    try:
        return deep_page_url(url, html(url), page=DEEP_PAGE, fetch=html)
    except Exception as error:  # measured as an error below, with the others
        print(f"  deep Tasks page: no pager link found ({error!r})"[:300])
        return None


# --- the benchmark per size -------------------------------------------------------------------


@pytest.fixture
def floor_urls() -> Iterator[None]:
    with override_settings(ROOT_URLCONF="tests.bench.pages_urls"):
        yield


# The tests read the fleet in a transaction of their own (rolled back): a test
# marked for the database is what makes pytest-django create the test database.
@pytest.mark.django_db
def test_pages(fleet: fleets.Fleet, floor_urls) -> None:
    size = fleet.tasks
    client = advisor_client(fleet)
    fetcher(client, "/" + FLOOR_PATH)()  # the floor's template and the session, warm
    for name, url in pages(fleet, client):
        if url is None:
            print(f"  {name:<32} not measured: the page has no pager link to follow")
            continue
        bench_page(name, url, client, size)


# --- under load ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_under_load(fleet: fleets.Fleet, committed_session: str) -> None:
    """The dashboard, then the floor for comparison, each loaded by 50 connections."""
    if fleet.tasks != max(SIZES):
        pytest.skip("measured at the largest size only")
    print(
        f"  under load: gunicorn, {LOAD_WORKERS} workers, {LOAD_CONNECTIONS} connections, "
        f"{LOAD_WARMUP_S} s warm-up, {LOAD_SECONDS:.0f} s measured"
    )
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={committed_session}"}
    with served.gunicorn(
        port=free_port(),
        secret_key=settings.SECRET_KEY,
        workers=LOAD_WORKERS,
        log=ARTIFACTS / "bench-gunicorn.log",
    ) as base:
        for name, path in (("dashboard", reverse("home")), ("floor", "/" + FLOOR_PATH)):
            result = load.run_load(
                base + path,
                connections=LOAD_CONNECTIONS,
                duration_s=LOAD_SECONDS,
                warmup_s=LOAD_WARMUP_S,
                headers=cookie,
            )
            report_load(f"{name} under load", fleet.tasks, result, judged=name == "dashboard")


def report_load(name: str, size: int, result: load.LoadResult, *, judged: bool) -> None:
    """Records and prints one load run; only the dashboard's is held to the target."""
    passed = result.errors == 0 and result.p99_s is not None and result.p99_s < MAX_P99_S
    entry = record(
        name,
        size=size,
        requests_per_s=result.requests_per_s,
        p50_s=result.p50_s,
        p99_s=result.p99_s,
        max_s=result.max_s,
        errors=result.errors,
        requests=result.requests,
        ok=result.ok,
        statuses=result.statuses,
        error_kinds=result.error_kinds,
        connections=result.connections,
        connections_opened=result.connects,
        workers=LOAD_WORKERS,
        duration_s=result.duration_s,
        passed=passed if judged else None,
    )
    LOADED.append(entry)
    judgement = f"  {verdict(passed)} 0 errors and p99 < {MAX_P99_S:.0f} s" if judged else ""
    print(f"  {name}: {result.summary()}{judgement}")


# --- growth and docs/benchmarks.md ------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def growth_and_docs() -> Iterator[None]:
    """After every size: the growth per page, then the generated docs section."""
    yield
    sizes = measured_sizes()
    if len(sizes) > 1:
        record_growth(sizes[0], sizes[-1])
    if sizes:
        write_docs_section(START, END, docs_lines(sizes))


def measured_sizes() -> list[int]:
    return sorted({e["size"] for e in MEASURED if e.get("product_s") is not None})


def measured(name: str, size: int) -> dict | None:
    return next(
        (e for e in MEASURED if e["name"] == name and e["size"] == size and e["product_s"]), None
    )


def record_growth(small: int, large: int) -> None:
    print(f"\n== growth of the pages from {small:,} to {large:,} tasks ==")
    for e in (e for e in MEASURED if e["size"] == small and e["product_s"]):
        other = measured(e["name"], large)
        if other is None:
            continue
        growth = other["product_s"] / e["product_s"]
        # The same growth beside the floor: the floor ran alternately with the page,
        # so what the shared machine did meanwhile weighs on both and cancels out.
        beside_floor = other["ratio"] / e["ratio"]
        bytes_change = other["bytes"] / e["bytes"] - 1 if e["bytes"] else None
        same_bytes = bytes_change is not None and abs(bytes_change) <= BYTES_TOLERANCE
        entry = record(
            f"growth: {e['name']}",
            page=e["name"],
            size=large,
            from_size=small,
            product_s=other["product_s"],
            from_product_s=e["product_s"],
            growth=growth,
            ratio_growth=beside_floor,
            bytes=other["bytes"],
            from_bytes=e["bytes"],
            bytes_change=bytes_change,
            statements=other["statements"],
            from_statements=e["statements"],
            passed=growth < MAX_GROWTH and same_bytes,
            growth_passed=growth < MAX_GROWTH,
            bytes_passed=same_bytes,
        )
        GROWTH.append(entry)
        print(
            f"  {e['name']:<32} {duration(e['product_s']):>10} -> "
            f"{duration(other['product_s']):>10}  {growth:>7.2f}x "
            f"{verdict(growth < MAX_GROWTH)} < {MAX_GROWTH}x "
            f"({beside_floor:.2f}x beside the floor)  "
            f"{e['bytes']:>11,} -> {other['bytes']:>11,} B "
            f"{verdict(same_bytes)} within {BYTES_TOLERANCE:.0%}"
        )


def _bytes(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def size_table(size: int) -> list[str]:
    lines = [
        f"### {size:,} open tasks",
        "",
        "| page | product | floor | ratio | statements (product / floor) | bytes | runs "
        f"| <= {MAX_RATIO}x, <= {MAX_STATEMENTS} statements |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in (e for e in MEASURED if e["size"] == size):
        if e.get("error"):
            lines.append(f"| {e['name']} | error: `{e['error'][:120]}` | | | | | | FAIL |")
            continue
        capped = f" (over {CAP_S:g} s)" if e["capped"] else ""
        status = "" if e["statuses"] == [200] else f", status {e['statuses']}"
        lines.append(
            f"| {e['name']} (`{e['url']}`) | {duration(e['product_s'])} | "
            f"{duration(e['floor_s'])} | {e['ratio']:,.1f}x | {e['statements']} / "
            f"{e['floor_statements']} | {_bytes(e['bytes'])} | {e['runs']}{capped} | "
            f"{verdict(e['passed'])}{status} |"
        )
    return [*lines, ""]


def growth_table(small: int, large: int) -> list[str]:
    lines = [
        f"### Growth from {small:,} to {large:,} tasks",
        "",
        f"| page | {small:,} | {large:,} | growth (< {MAX_GROWTH}x) | growth of the ratio "
        f"to the floor | bytes {small:,} -> {large:,} (within {BYTES_TOLERANCE:.0%}) "
        "| statements |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for g in GROWTH:
        change = "" if g["bytes_change"] is None else f" ({g['bytes_change']:+.1%})"
        lines.append(
            f"| {g['page']} | {duration(g['from_product_s'])} | {duration(g['product_s'])} | "
            f"{g['growth']:,.2f}x {verdict(g['growth_passed'])} | {g['ratio_growth']:,.2f}x | "
            f"{_bytes(g['from_bytes'])} -> "
            f"{_bytes(g['bytes'])}{change} {verdict(g['bytes_passed'])} | "
            f"{g['from_statements']} -> {g['statements']} |"
        )
    return [*lines, ""]


def load_table() -> list[str]:
    lines = [
        "### The dashboard under load",
        "",
        f"gunicorn with the production settings, {LOAD_WORKERS} sync workers, "
        f"{LOAD_CONNECTIONS} keep-alive connections from `tests/bench/load.py` (the sync "
        "workers close each connection after its answer, so reconnecting is measured too), "
        f"{LOAD_WARMUP_S} s warm-up; latencies of the 200 answers. The floor, loaded the same "
        "way after the dashboard, shows what the machine gives a constant page.",
        "",
        "| page | tasks | requests/s | p50 | p99 | max | errors | requests | "
        f"0 errors, p99 < {MAX_P99_S:.0f} s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in LOADED:
        kinds = f" {e['error_kinds']}" if e["error_kinds"] else ""
        judged = "" if e["passed"] is None else verdict(e["passed"])
        lines.append(
            f"| {e['name']} | {e['size']:,} | {e['requests_per_s']:,.1f} | "
            f"{duration(e['p50_s'])} | {duration(e['p99_s'])} | {duration(e['max_s'])} | "
            f"{e['errors']}{kinds} | {e['requests']:,} in {e['duration_s']:.0f} s | {judged} |"
        )
    return [*lines, ""]


def docs_lines(sizes: list[int]) -> list[str]:
    lines = [
        "## Pages at a million tasks (`tests/bench/test_pages_bench.py`)",
        "",
        f"_Generated by `make bench` on {timezone.now():%Y-%m-%d %H:%M} UTC. Server time through "
        "Django's test client (the whole middleware stack), signed in as the fleet's advisor; "
        f"medians of {PAIRS} alternating product/floor runs after one warm-up request, or that "
        f"one request when it took over {CAP_S:g} s. The floor is a constant template "
        "extending base.html behind the same `member_required` and middleware "
        "(`tests/bench/pages_urls.py`). The deep Tasks page is the one the first page's pager "
        f"links to: page {DEEP_PAGE:,} of a numbered pager, the last page of a cursor pager. "
        "The vehicle is one with "
        f"{fleets.ONE_READING_TASKS} tasks at every size. Targets at the largest size: at most "
        f"{MAX_RATIO}x the floor, at most {MAX_STATEMENTS} statements, bytes within "
        f"{BYTES_TOLERANCE:.0%} and time growing less than {MAX_GROWTH}x between sizes._",
        "",
    ]
    for size in sizes:
        lines += size_table(size)
    if GROWTH:
        lines += growth_table(sizes[0], sizes[-1])
    if LOADED:
        lines += load_table()
    return lines
