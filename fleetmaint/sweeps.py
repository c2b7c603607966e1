"""The scheduled sweep of date thresholds across every fleet.

Readings re-evaluate a vehicle's thresholds as they arrive; only the
calendar moves without anybody doing anything, so this job looks at what
time alone has made due. Each capability with date thresholds adds its
set-based sweep function to ``DATE_SWEEPS``.
"""

import logging
from collections.abc import Callable

from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# Dotted paths of functions taking no arguments and returning how many rows changed.
DATE_SWEEPS: list[str] = [
    "fleetmaint.intervals.services.intervals_sweep_dates",
    "fleetmaint.tasks.services.tasks_sweep_dates",
    "fleetmaint.contracts.services.contracts_sweep_dates",
]


def sweep_dates() -> dict[str, int]:
    results = {}
    for path in DATE_SWEEPS:
        sweep: Callable[[], int] = import_string(path)
        results[path] = sweep()
    log.info("Date sweep: %s", results)
    return results
