import os
import sys
from collections.abc import Mapping

from django.core.management.base import BaseCommand, CommandError

from fleetmaint import devrun
from fleetmaint.demo import login_lines


def banner(url: str, env: Mapping[str, str]) -> str:
    lines = [
        "",
        f"  fleetmaint is running at {url}  (Ctrl-C stops the web server and the worker)",
        *login_lines(),
        f"  Links in e-mails and the calendar feed lead to SITE_URL={env['SITE_URL']}",
        f"  {devrun.mail_note(env)}",
    ]
    if env.get("Q_LOG_LEVEL") == "WARNING":
        lines.append("  The worker logs only what goes wrong; Q_LOG_LEVEL=INFO shows every job.")
    lines.append("")
    return "\n".join(lines)


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise CommandError(f"PORT must be a whole number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise CommandError(f"PORT must be between 1 and 65535, not {port}")
    return port


class Command(BaseCommand):
    help = (
        "Runs the web server and the background worker together for development, as "
        "`make run` does: links follow the port (SITE_URL), e-mails are written to "
        "var/mail/, the demo logins are printed once the server answers, and Ctrl-C "
        "stops both within seconds."
    )
    requires_system_checks = []  # runserver runs them, in the process that serves

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", default=os.environ.get("PORT") or "8000", help="Default: $PORT or 8000."
        )
        parser.add_argument("--host", default="127.0.0.1", help="Default: 127.0.0.1.")
        parser.add_argument(
            "--grace",
            type=float,
            default=3.0,
            help="Seconds the server and the worker get to stop before they are killed.",
        )

    def handle(self, *args, **options):
        status = devrun.run(
            host=options["host"],
            port=_port(str(options["port"])),
            grace=options["grace"],
            out=self.stdout,
            banner=banner,
        )
        if status:
            raise CommandError(
                f"The web server or the worker ended on its own (exit status {status}).",
                returncode=status,
            )

    def run_from_argv(self, argv):
        super().run_from_argv(argv)
        # From the command line, once everything is stopped and said: leave without
        # tearing down Django's modules one by one, a second more of a Ctrl-C's wait.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
