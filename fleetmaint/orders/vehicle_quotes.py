"""Quotes for the due work of several vehicles at once: one quote per vehicle, all or none.

The Due page lets an advisor tick work of any number of vehicles and ask one
servicer for quotes in one step. A quote is for one vehicle, so the work is
split by vehicle and each vehicle's quote follows ``quotes.quote_create``
(the work open and the vehicle's, on no other pending quote or open order).
The quotes are made in one transaction: if any vehicle's work is refused, no
quote is made, and the refusal names every vehicle at fault with its own
reason, so the page can show each next to that vehicle's work.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import Conflict, DomainError, ValidationFailed
from fleetmaint.orders.models import Quote, Servicer, ServiceType
from fleetmaint.orders.queries import DueWork
from fleetmaint.orders.quotes import check_servicer, items_for_due_work, quote_create
from fleetmaint.orders.services import money_check


class QuotesRefused(Conflict):
    """Some vehicles' work cannot be quoted; no quote was made.

    ``refusals`` holds each refused vehicle's own error (a ``quotes.WorkTaken``
    names the quote or order holding the work), by vehicle id.
    """

    def __init__(self, refusals: dict[int, DomainError], labels: dict[int, str]):
        self.refusals = refusals
        if len(labels) == 1:
            [error] = refusals.values()
            message = error.message
        else:
            refused = [labels[pk] for pk in labels if pk in refusals]
            names = refused[0] if len(refused) == 1 else ", ".join(refused[:-1])
            if len(refused) > 1:
                names += f" and {refused[-1]}"
            message = (
                f"No quote was made: the work of {names} cannot be quoted as it stands "
                "(see below). Untick what is refused and ask again."
            )
        super().__init__(message, field="items")


def quotes_create_per_vehicle(
    *,
    org: Organization,
    servicer: Servicer,
    service_type: ServiceType,
    work: Sequence[DueWork],
    pre_authorized: Decimal = Decimal("0"),
    actor=None,
) -> list[Quote]:
    """One quote from ``servicer`` for each vehicle's work, in the order given; all or none.

    ``pre_authorized`` applies to each quote. A refusal of the servicer, the
    type or the amount concerns every vehicle and is raised as it is; the
    refusals of single vehicles are gathered into one ``QuotesRefused``.
    Vehicle rows are locked in id order, so two requests for overlapping
    vehicles take turns instead of deadlocking.
    """
    work = [w for w in work if w.size]
    if not work:
        raise ValidationFailed("Tick the due work to quote first.", field="items")
    check_servicer(org, servicer, service_type)
    pre_authorized = money_check(pre_authorized, "preAuthorized")
    made: dict[int, Quote] = {}
    refusals: dict[int, DomainError] = {}
    with transaction.atomic():
        for chosen in sorted(work, key=lambda w: w.vehicle.pk):
            try:
                made[chosen.vehicle.pk] = quote_create(
                    org=org,
                    vehicle=chosen.vehicle,
                    servicer=servicer,
                    service_type=service_type,
                    items=items_for_due_work(chosen.intervals, chosen.tasks),
                    pre_authorized=pre_authorized,
                    interval_ids=[i.pk for i in chosen.intervals],
                    task_ids=[t.pk for t in chosen.tasks],
                    actor=actor,
                )
            except DomainError as error:
                refusals[chosen.vehicle.pk] = error
        if refusals:
            # Leaving the block with the error rolls back the quotes made so far.
            raise QuotesRefused(refusals, {w.vehicle.pk: w.vehicle.label for w in work})
    return [made[w.vehicle.pk] for w in work]
