"""The scheduled sweep of date thresholds across every fleet.

Readings re-evaluate a vehicle's thresholds as they arrive; only the
calendar moves without anybody doing anything, so this job looks at what
time alone has made due. Each capability with date thresholds adds to
``DATE_SWEEPS`` a SELECT of its candidates and its set-based sweep.

Most runs find nothing: one statement asks every capability's date indexes
at once whether anything has come, and only the capabilities that answer yes
are swept, in one transaction: one ``UPDATE ... RETURNING`` per kind of move,
then one insert of every event and one of every message, however many crossed.
"""

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from fleetmaint import sql
from fleetmaint.notifications import outbox

log = logging.getLogger(__name__)

# (candidates, sweep): dotted paths of a function returning a SELECT of the
# rows whose dates have come (``%(now)s`` the moment), and of the sweep that
# moves them, taking ``notices`` and returning how many rows it moved.
DATE_SWEEPS: list[tuple[str, str]] = [
    (
        "fleetmaint.intervals.evaluation.intervals_date_candidates",
        "fleetmaint.intervals.services.intervals_sweep_dates",
    ),
    (
        "fleetmaint.tasks.evaluation.tasks_date_candidates",
        "fleetmaint.tasks.services.tasks_sweep_dates",
    ),
    (
        "fleetmaint.contracts.evaluation.contracts_date_candidates",
        "fleetmaint.contracts.services.contracts_sweep_dates",
    ),
]


def sweep_dates() -> dict[str, int]:
    """Sweeps every capability whose dates have come; returns rows moved per sweep path."""
    results = dict.fromkeys((path for _, path in DATE_SWEEPS), 0)
    due = [path for path, found in zip(results, _anything_due(), strict=True) if found]
    if due:
        notices = outbox.Notices()
        with transaction.atomic():
            for path in due:
                sweep: Callable[..., int] = import_string(path)
                results[path] = sweep(notices=notices)
            notices.write()
    log.info("Date sweep: %s", results)
    return results


def _anything_due() -> tuple[bool, ...]:
    """Per capability, whether any of its dates has come: one statement of index probes."""
    probes = ", ".join(f"EXISTS ({import_string(candidates)()})" for candidates, _ in DATE_SWEEPS)
    [row] = sql.run(f"SELECT {probes}", {"now": timezone.now()})
    return tuple(bool(found) for found in row)
