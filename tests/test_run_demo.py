"""`make run` (manage.py run_demo): links follow the port, logins once it answers, a quick stop."""

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection
from icalendar import Calendar

from fleetmaint import devrun
from tests.reports import factories as make

ROOT = Path(__file__).resolve().parent.parent
HAS_PROC = Path("/proc/self/environ").exists()


# --- the environment the server and the worker get --------------------------------------


def test_site_url_follows_the_port():
    env = devrun.child_env({}, host="127.0.0.1", port=8101, base_dir=Path("/srv/fm"))
    assert env["SITE_URL"] == "http://127.0.0.1:8101"


@pytest.mark.parametrize("given", ["https://fleet.example.com", "http://192.168.1.5:8101"])
def test_a_given_site_url_is_kept(given):
    env = devrun.child_env({"SITE_URL": given}, host="127.0.0.1", port=8101)
    assert env["SITE_URL"] == given


def test_an_empty_site_url_counts_as_not_given():
    env = devrun.child_env({"SITE_URL": " "}, host="127.0.0.1", port=8101)
    assert env["SITE_URL"] == "http://127.0.0.1:8101"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("0.0.0.0", "http://127.0.0.1:8101"),
        ("localhost", "http://localhost:8101"),
        ("::1", "http://[::1]:8101"),
    ],
)
def test_the_site_url_is_where_a_browser_here_reaches_the_server(host, expected):
    assert devrun.site_url_for(host, 8101) == expected


def test_mail_goes_to_var_mail_unless_a_backend_is_given():
    env = devrun.child_env({}, host="127.0.0.1", port=8101, base_dir=Path("/srv/fm"))
    assert env["EMAIL_BACKEND"] == "fleetmaint.mailfolder.MailFolderBackend"
    assert env["EMAIL_FILE_PATH"] == "/srv/fm/var/mail"
    assert devrun.mail_note(env, Path("/srv/fm")) == (
        "E-mails are not sent: each one is written to var/mail/ as an .eml file."
    )

    smtp = "django.core.mail.backends.smtp.EmailBackend"
    env = devrun.child_env({"EMAIL_BACKEND": smtp}, host="127.0.0.1", port=8101)
    assert env["EMAIL_BACKEND"] == smtp
    assert "EMAIL_FILE_PATH" not in env
    assert devrun.mail_note(env) == f"E-mails are sent with {smtp}."


def test_the_worker_logs_only_warnings_unless_told_otherwise():
    assert devrun.child_env({}, host="h", port=1)["Q_LOG_LEVEL"] == "WARNING"
    assert devrun.child_env({"Q_LOG_LEVEL": "INFO"}, host="h", port=1)["Q_LOG_LEVEL"] == "INFO"


# --- stopping -------------------------------------------------------------------------------

# A child that shrugs off SIGTERM, with a grandchild in its process group that does too:
# the shape of a django-q2 cluster stuck in its shutdown.
STUBBORN = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
    time.sleep(60)
    """
)


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return not devrun._group_runs(pgid)


def test_what_ignores_sigterm_is_killed_after_the_grace_with_its_whole_group():
    supervisor = devrun.Supervisor(
        {"stubborn": [sys.executable, "-c", STUBBORN], "sleeper": ["sleep", "60"]},
        env=os.environ,
        grace=0.5,
    )
    started = time.monotonic()

    def stop_when_ready() -> bool:
        if time.monotonic() - started > 1:
            os.kill(os.getpid(), signal.SIGTERM)  # as make forwards it
        return False

    status = supervisor.run(stop_when_ready, lambda: None)

    assert status == 0
    assert time.monotonic() - started < 4
    for child in supervisor.children.values():
        assert child.returncode is not None
        assert _group_gone(child.pid)


def test_a_child_that_ends_stops_the_others_and_gives_its_status():
    out = io.StringIO()
    supervisor = devrun.Supervisor(
        {"web server": [sys.executable, "-c", "raise SystemExit(3)"], "worker": ["sleep", "60"]},
        env=os.environ,
        grace=1,
        out=out,
    )

    status = supervisor.run(lambda: False, lambda: None)

    assert status == 3
    assert out.getvalue() == "The web server stopped (exit status 3); stopping the rest.\n"
    # Gone, whoever reaped it: the exit status itself may have been collected by
    # another part of the test process that waits for any child.
    assert not devrun._alive(supervisor.children["worker"])


# --- the real thing: manage.py run_demo on a free port ----------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = urllib.parse.quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _marked(marker: str) -> list[int]:
    """Running processes whose environment carries ``marker``: the run and all it started."""
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                stat = (environ.parent / "stat").read_text()
                if stat[stat.rindex(")") + 2] not in "ZX":
                    pids.append(int(environ.parent.name))
        except (OSError, ValueError):
            continue
    return pids


@pytest.mark.skipif(not HAS_PROC, reason="finds the run's processes through /proc")
@pytest.mark.django_db(transaction=True)
def test_make_run_serves_links_on_its_port_says_the_logins_once_and_stops_quickly(
    vehicle, tmp_path
):
    task = make.open_task(vehicle, days=5, description="Tyre swap")
    port = _free_port()
    marker = f"FLEETMAINT_RUN_TEST={uuid.uuid4().hex}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SITE_URL", "EMAIL_BACKEND", "SECRET_KEY", "Q_LOG_LEVEL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fleetmaint.settings",
        DEBUG="true",
        DATABASE_URL=_database_url(),
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        FLEETMAINT_RUN_TEST=marker.partition("=")[2],
    )
    output = tmp_path / "run.log"
    with open(output, "w") as log:
        run = subprocess.Popen(
            [sys.executable, "manage.py", "run_demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while "Demo logins" not in output.read_text():
            assert run.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.1)
        # Said once it answers: the first request after the message gets through.
        feed = f"http://127.0.0.1:{port}/calendar/{vehicle.org.calendar_token}.ics"
        with urllib.request.urlopen(feed, timeout=10) as response:
            calendar = Calendar.from_ical(response.read())
        [event] = calendar.walk("VEVENT")
        assert str(event["URL"]) == f"http://127.0.0.1:{port}/vehicles/{vehicle.pk}/tasks/"
        assert task.pk

        assert len(_marked(marker)) >= 4  # this run, the server (two) and the worker's
        started = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's process group
        run.wait(timeout=10)
        while _marked(marker) and time.monotonic() - started < 10:
            time.sleep(0.05)
        stopped_in = time.monotonic() - started
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for pid in _marked(marker):
            os.kill(pid, signal.SIGKILL)

    text = output.read_text()
    assert _marked(marker) == []
    assert stopped_in < 5, f"stopped in {stopped_in:.1f} s"
    assert text.count("Demo logins") == 1
    assert text.count(f"fleetmaint is running at http://127.0.0.1:{port}/") == 1
    assert f"the calendar feed lead to SITE_URL=http://127.0.0.1:{port}\n" in text
    assert "SITE_URL is http" not in text  # the development check found nothing to say
    assert run.returncode == 0
