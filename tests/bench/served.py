"""Serves the benchmark's database with gunicorn and the production settings.

The settings module is ``tests.bench.served_settings``: ``fleetmaint.settings``
with the page floor's URL added. The environment is what a deployment gives
them: DEBUG
off, a SECRET_KEY (the test process's own, so that a session it created is
valid in gunicorn), ALLOWED_HOSTS, and HTTPS off because the load comes over
plain HTTP on loopback (otherwise every request is redirected to https).
Static files are collected first, as a deployment does: with DEBUG off the
templates' ``{% static %}`` tags read whitenoise's manifest.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# gunicorn's connections carry this name, so that queries they leave running
# after a worker is stopped can be found and ended.
APPLICATION_NAME = "fleetmaint-bench-gunicorn"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django's test runner created."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    name = quote(settings_dict["NAME"], safe="")
    return f"postgres://{credentials}{host}{port}/{name}?application_name={APPLICATION_NAME}"


def production_environment(secret_key: str, host: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        DJANGO_SETTINGS_MODULE="tests.bench.served_settings",
        DATABASE_URL=database_url(connection.settings_dict),
        SECRET_KEY=secret_key,
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS=host,
        LOG_LEVEL="WARNING",
    )
    return environment


def collect_static(environment: dict[str, str]) -> None:
    subprocess.run(
        [BIN / "python", "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _wait_until_listening(process: subprocess.Popen, host: str, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _listening(host, port):
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not listen within {START_TIMEOUT_S} s:\n{_tail(log)}")
        time.sleep(0.2)


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the master (graceful), then SIGKILL to its process group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def end_leftover_queries() -> int:
    """Ends queries a stopped worker left running, so the test database can be dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            [APPLICATION_NAME],
        )
        return cursor.fetchone()[0]


@contextmanager
def gunicorn(
    *, port: int, secret_key: str, log: Path, workers: int = 3, host: str = "127.0.0.1"
) -> Iterator[str]:
    """gunicorn serving ``fleetmaint.wsgi`` on ``host:port``; yields its base URL.

    Always stopped on the way out, however the block ends.
    """
    environment = production_environment(secret_key, host)
    collect_static(environment)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                BIN / "gunicorn",
                "fleetmaint.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"{host}:{port}",
                # Only for stopping: a worker busy with a slow page is not waited for long.
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to stop its workers with it
        )
        try:
            _wait_until_listening(process, host, port, log)
            yield f"http://{host}:{port}"
        finally:
            _stop(process)
            end_leftover_queries()
