"""Where a dashboard request spends its time, against a fleet kept between runs.

The page benchmark builds its fleet in the test database and empties it
afterwards; looking into one page needs the same fleet without rebuilding it
every time. This script builds it once in the database DATABASE_URL names
(migrated first) and then times the dashboard beside the page floor, or
profiles it:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fleetmaint_prof \\
        .venv/bin/python -m tests.bench.dashboard_profile build 1000000
    ... -m tests.bench.dashboard_profile time 200      # medians, product vs floor
    ... -m tests.bench.dashboard_profile profile 50    # cProfile, top functions
    ... -m tests.bench.dashboard_profile load 20       # gunicorn, 50 connections, 20 s each

Never point it at a database that holds anything else: ``build`` replaces
the tasks of the whole database.
"""

import cProfile
import os
import pstats
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from fleetmaint.accounts.models import Organization  # noqa: E402
from tests.bench import fleet as fleets  # noqa: E402
from tests.bench.pages_urls import FLOOR_PATH  # noqa: E402

SLUG = "write-path-bench"


def build(size: int) -> None:
    call_command("migrate", verbosity=0)
    if Organization.objects.filter(slug=SLUG).exists():
        print("the fleet exists: only its tasks are replaced")
        org = Organization.objects.get(slug=SLUG)
        first = org.vehicles.order_by("id").values_list("id", flat=True).first()
        fleet = fleets.Fleet(org, 0, 0, fleets.timezone.now(), first, first)
    else:
        fleet = fleets.build_base()
    started = time.perf_counter()
    fleets.build_tasks(fleet, size)
    print(f"{size:,} tasks built in {time.perf_counter() - started:.1f} s")


def client() -> Client:
    visitor = Client()
    visitor.force_login(User.objects.get(username="bench-advisor"))
    return visitor


def _get(visitor: Client, path: str) -> float:
    started = time.perf_counter()
    response = visitor.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


@override_settings(ROOT_URLCONF="tests.bench.pages_urls", DEBUG=False)
def time_pages(rounds: int) -> None:
    visitor = client()
    for path in ("/", "/" + FLOOR_PATH):  # warm the templates and the connection
        _get(visitor, path)
    product, floor = [], []
    for _ in range(rounds):
        product.append(_get(visitor, "/"))
        floor.append(_get(visitor, "/" + FLOOR_PATH))
    with CaptureQueriesContext(connection) as queries:
        size = len(visitor.get("/").content)
    p, f = statistics.median(product), statistics.median(floor)
    print(
        f"dashboard {p * 1000:.2f} ms (p90 {sorted(product)[int(rounds * 0.9)] * 1000:.2f}), "
        f"floor {f * 1000:.2f} ms, ratio {p / f:.2f}, "
        f"{len(queries.captured_queries)} statements, {size:,} bytes"
    )
    if os.environ.get("SHOW_SQL"):
        for query in queries.captured_queries:
            print(query["time"], query["sql"][:3000], "\n")


@override_settings(ROOT_URLCONF="tests.bench.pages_urls", DEBUG=False)
def profile(rounds: int) -> None:
    visitor = client()
    _get(visitor, "/")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        visitor.get("/")
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative"))
    stats.print_stats(int(os.environ.get("TOP", "60")))


def load_pages(seconds: int) -> None:
    """The dashboard, then the floor, under the page benchmark's load (its settings)."""
    from tests.bench import load, served
    from tests.bench.test_pages_bench import LOAD_CONNECTIONS, LOAD_WARMUP_S, LOAD_WORKERS
    from tests.notifications.conftest import free_port

    session = client().cookies[settings.SESSION_COOKIE_NAME].value
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    log = served.ROOT / "test-artifacts" / "profile-gunicorn.log"
    port = free_port()
    with served.gunicorn(
        port=port, secret_key=settings.SECRET_KEY, workers=LOAD_WORKERS, log=log
    ) as base:
        for name, path in (("dashboard", "/"), ("floor", "/" + FLOOR_PATH)):
            result = load.run_load(
                base + path,
                connections=LOAD_CONNECTIONS,
                duration_s=seconds,
                warmup_s=LOAD_WARMUP_S,
                headers=cookie,
            )
            print(f"{name}: {result.summary()}")


if __name__ == "__main__":
    assert "postgres" in settings.DATABASES["default"]["ENGINE"], "PostgreSQL only"
    command, number = sys.argv[1], int(sys.argv[2])
    {"build": build, "time": time_pages, "profile": profile, "load": load_pages}[command](number)
