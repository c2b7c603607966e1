"""A delivery worker in its own OS process, for the crash and concurrency tests.

The child is started with the 'spawn' method: a fresh interpreter that sets
Django up again and points it at the parent's test database and SMTP
receiver, so it shares nothing with the test but committed rows.
"""

import multiprocessing
import os
from multiprocessing.context import SpawnProcess
from typing import Any

from django.conf import settings
from django.db import connection

SPAWN = multiprocessing.get_context("spawn")
MAIL_SETTINGS = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS")


def start_worker(*, batch_size: int, start: Any = None, results: Any = None) -> SpawnProcess:
    """Starts a process that drains the outbox once, as a django-q worker would."""
    overrides = {name: getattr(settings, name) for name in MAIL_SETTINGS}
    # Long enough that a receiver holding a message back is killed, not timed out.
    overrides["EMAIL_TIMEOUT"] = 60
    process = SPAWN.Process(
        target=drain,
        args=(connection.settings_dict["NAME"], overrides, batch_size, start, results),
        daemon=True,
    )
    process.start()
    return process


def drain(database: str, overrides: dict, batch_size: int, start: Any, results: Any) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = database
    django.setup()
    for name, value in overrides.items():
        setattr(settings, name, value)

    from fleetmaint.notifications import delivery

    if start is not None:
        start.wait(timeout=60)  # both workers begin together, so they really compete
    delivered = delivery.deliver_pending(batch_size=batch_size)
    if results is not None:
        results.put(delivered)
