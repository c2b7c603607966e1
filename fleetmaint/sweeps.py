"""The scheduled sweep of date thresholds across every fleet.

Readings re-evaluate a vehicle's thresholds as they arrive; only the
calendar moves without anybody doing anything, so this job looks at what
time alone has made due. Each capability with date thresholds adds its
set-based sweep function to ``DATE_SWEEPS``.

The whole sweep is one transaction in a fixed number of statements: one
``UPDATE ... RETURNING`` per kind of threshold, then, when anything crossed,
one insert of every event and one of every message, however many crossed.
"""

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils.module_loading import import_string

from fleetmaint.notifications import outbox

log = logging.getLogger(__name__)

# Dotted paths of functions taking ``notices`` (an ``outbox.Notices``) and
# returning how many rows they moved.
DATE_SWEEPS: list[str] = [
    "fleetmaint.intervals.services.intervals_sweep_dates",
    "fleetmaint.tasks.services.tasks_sweep_dates",
    "fleetmaint.contracts.services.contracts_sweep_dates",
]


def sweep_dates() -> dict[str, int]:
    results = {}
    notices = outbox.Notices()
    with transaction.atomic():
        for path in DATE_SWEEPS:
            sweep: Callable[..., int] = import_string(path)
            results[path] = sweep(notices=notices)
        notices.write()
    log.info("Date sweep: %s", results)
    return results
