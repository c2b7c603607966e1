"""``make run``: the web server and the background worker side by side, for development.

``run`` starts ``manage.py runserver`` and ``manage.py qcluster`` with an
environment made for the port they serve (``child_env``): links in e-mails and
the calendar feed lead to that port (``SITE_URL``), e-mails are written to a
folder instead of the console (``fleetmaint.mailfolder``), and the worker logs
only what goes wrong. It says the site is running, with the demo logins, once
the server answers, and not before.

Ctrl-C (or SIGTERM, or the terminal closing) stops both within seconds: each
child runs in a process group of its own, so the worker's sentinel, pusher,
monitor and pool and the server's autoreloader are all reached. They are asked
with SIGTERM first; whatever is still running after ``grace`` seconds, a
worker still finishing its task or a django-q2 sentinel stuck in its shutdown,
is killed (a delivery cut short is retried: docs/security.md, "Notifications
after a crash"). A second Ctrl-C kills at once.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TextIO

BASE_DIR = Path(__file__).resolve().parent.parent
MAIL_BACKEND = "fleetmaint.mailfolder.MailFolderBackend"
DEFAULT_MAIL_FOLDER = "var/mail"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _given(environ: Mapping[str, str], name: str) -> bool:
    return bool(environ.get(name, "").strip())


def site_url_for(host: str, port: int) -> str:
    """Where a browser on this machine reaches a server listening on ``host:port``."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def child_env(
    environ: Mapping[str, str], *, host: str, port: int, base_dir: Path = BASE_DIR
) -> dict[str, str]:
    """The environment of the server and the worker; whatever ``environ`` sets wins.

    ``SITE_URL`` follows the port unless given. E-mails go to ``EMAIL_FILE_PATH``
    (``var/mail/``) unless an ``EMAIL_BACKEND`` is given. The worker logs warnings
    and errors unless ``Q_LOG_LEVEL`` is given.
    """
    env = dict(environ)
    if not _given(env, "SITE_URL"):
        env["SITE_URL"] = site_url_for(host, port)
    if not _given(env, "EMAIL_BACKEND"):
        env["EMAIL_BACKEND"] = MAIL_BACKEND
        if not _given(env, "EMAIL_FILE_PATH"):
            env["EMAIL_FILE_PATH"] = str(base_dir / DEFAULT_MAIL_FOLDER)
    if not _given(env, "Q_LOG_LEVEL"):
        env["Q_LOG_LEVEL"] = "WARNING"
    # Each line as it is written, so the server's and the worker's output interleave in order.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def mail_note(env: Mapping[str, str], base_dir: Path = BASE_DIR) -> str:
    """Where the e-mails go, in words, for the start-up message."""
    if env.get("EMAIL_BACKEND") != MAIL_BACKEND:
        return f"E-mails are sent with {env.get('EMAIL_BACKEND')}."
    folder = Path(env["EMAIL_FILE_PATH"])
    try:
        shown = folder.resolve().relative_to(base_dir)
    except ValueError:
        shown = folder
    return f"E-mails are not sent: each one is written to {shown}{os.sep} as an .eml file."


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether a web server answers at ``url`` (any HTTP status counts)."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


class Stop(Exception):
    """A stop signal arrived."""


class Supervisor:
    def __init__(
        self,
        commands: Mapping[str, list[str]],
        *,
        env: Mapping[str, str],
        orderly: Collection[str] = (),
        cwd: Path = BASE_DIR,
        grace: float = 3.0,
        out: TextIO = sys.stdout,
    ) -> None:
        self.commands = commands
        self.orderly = set(orderly)
        self.env = dict(env)
        self.cwd = cwd
        self.grace = grace
        self.out = out
        self.children: dict[str, subprocess.Popen] = {}
        self.hurry = False
        self._starting = False
        self._stop_asked = False

    def run(self, ready: Callable[[], bool], on_ready: Callable[[], None]) -> int:
        """Starts the children, calls ``on_ready`` once ``ready()`` is true, and waits.

        Returns 0 after a stop signal, otherwise the exit status of the child that
        ended first (a server that could not bind its port, say); the rest are stopped.
        """
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        status = 0
        try:
            self._start()
            said_ready = False
            while (ended := self._ended()) is None:
                if not said_ready and ready():
                    on_ready()
                    said_ready = True
                time.sleep(0.1 if not said_ready else 0.25)
            name, status = ended
            self._say(f"The {name} stopped (exit status {status}); stopping the rest.")
        except Stop:
            status = 0
        finally:
            for sig in STOP_SIGNALS:
                signal.signal(sig, self._on_stop_signal)
            try:
                self.stop()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        return status

    def _start(self) -> None:
        # A stop signal waits until every child started is known, so none is left behind.
        self._starting = True
        try:
            for name, command in self.commands.items():
                self.children[name] = subprocess.Popen(
                    command,
                    cwd=self.cwd,
                    env=self.env,
                    # Nothing reads the terminal; a process group of its own is signalled
                    # as a whole, and only by us.
                    stdin=subprocess.DEVNULL,
                    process_group=0,
                )
        finally:
            self._starting = False
        if self._stop_asked:
            raise Stop

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the process groups of what is left after ``grace``.

        A child named in ``orderly`` stops its own processes in order, so SIGTERM
        goes to it alone (the django-q2 cluster lets its workers finish their
        task); for the others it goes to their whole group.
        """
        started = time.monotonic()
        for name, child in self.children.items():
            if name in self.orderly:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
            else:
                _signal_group(child, signal.SIGTERM)
        while not self.hurry and time.monotonic() - started < self.grace:
            if not any(_alive(child) for child in self.children.values()):
                return
            time.sleep(0.05)
        for child in self.children.values():
            _signal_group(child, signal.SIGKILL)
        for child in self.children.values():
            child.wait()
        # The group's last members die a moment after their leader.
        deadline = time.monotonic() + 2
        while any(_alive(child) for child in self.children.values()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)

    def _ended(self) -> tuple[str, int] | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name, child.returncode
        return None

    def _on_signal(self, signum, frame) -> None:
        if self._starting:
            self._stop_asked = True
        else:
            raise Stop

    def _on_stop_signal(self, signum, frame) -> None:
        if signum == signal.SIGINT:
            self.hurry = True

    def _say(self, text: str) -> None:
        _write(self.out, text)


def _write(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


def _alive(child: subprocess.Popen) -> bool:
    """Whether anything of the child's process group still runs.

    Polling reaps the leader once it has ended; a live group after that means
    members that outlived it (the worker's pool, the server's reloaded child).
    """
    child.poll()
    try:
        os.killpg(child.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return _group_runs(child.pid)


def _group_runs(pgid: int) -> bool:
    """Whether a member of the group is more than a zombie, where /proc can tell.

    A member whose parent died is reaped by init, or, in a container whose first
    process does not reap, stays a zombie: dead, but still counted by killpg.
    """
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # After the command's name in parentheses: state, parent, process group.
        state, _parent, group = text[text.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state not in ("Z", "X"):
            return True
    return False


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    environ: Mapping[str, str] | None = None,
    python: str = sys.executable,
    grace: float = 3.0,
    out: TextIO = sys.stdout,
    banner: Callable[[str, Mapping[str, str]], str],
) -> int:
    """Serves on ``host:port`` with the worker until a stop signal; see the module's text."""
    env = child_env(os.environ if environ is None else environ, host=host, port=port)
    manage = str(BASE_DIR / "manage.py")
    supervisor = Supervisor(
        {
            "worker": [python, manage, "qcluster"],
            "web server": [python, manage, "runserver", f"{host}:{port}"],
        },
        env=env,
        orderly={"worker"},
        grace=grace,
        out=out,
    )
    url = site_url_for(host, port) + "/"

    def say_ready() -> None:
        _write(out, banner(url, env))

    return supervisor.run(lambda: answers(url), say_ready)
