"""The maintenance schedule's rules: create, generate, evaluate, service, reopen, remove.

Services take typed values (``int``, ``datetime``, ``str``); loose ones are
parsed at the edge (``intervals.inputs``). Refusals are plain words with a
stable reason (``intervals.refusals``) that the vendor-compatible endpoints
turn into the vendor's texts.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fleetmaint.errors import Conflict, NotFound, ValidationFailed
from fleetmaint.inputs import clean_text

# The set-based moves are part of this service's surface.
from fleetmaint.intervals.evaluation import intervals_evaluate as intervals_evaluate
from fleetmaint.intervals.evaluation import (
    intervals_refresh_predictions as intervals_refresh_predictions,
)
from fleetmaint.intervals.evaluation import intervals_settle as intervals_settle
from fleetmaint.intervals.evaluation import intervals_sweep_dates as intervals_sweep_dates

# Generating from presets and the presets' settings live in their own modules;
# other apps and the faces reach them through this one.
from fleetmaint.intervals.generation import Generated as Generated
from fleetmaint.intervals.generation import intervals_fill_mileage as intervals_fill_mileage
from fleetmaint.intervals.generation import intervals_generate as intervals_generate
from fleetmaint.intervals.generation import (
    intervals_on_first_meter as intervals_on_first_meter,
)
from fleetmaint.intervals.generation import (
    intervals_on_vehicles_created as intervals_on_vehicles_created,
)
from fleetmaint.intervals.generation import makes_intervals
from fleetmaint.intervals.generation import preset_interval as preset_interval
from fleetmaint.intervals.generation import presets_ensure as presets_ensure
from fleetmaint.intervals.generation import presets_for_vehicle as presets_for_vehicle
from fleetmaint.intervals.generation import schedule_generate as schedule_generate
from fleetmaint.intervals.inputs import check_new_due
from fleetmaint.intervals.models import (
    MAX_MILEAGE,
    MAX_NOTES,
    IntervalService,
    ServiceInterval,
)
from fleetmaint.intervals.preset_settings import PresetInvalid as PresetInvalid
from fleetmaint.intervals.preset_settings import presets_update as presets_update
from fleetmaint.intervals.preset_settings import (
    schedule_settings_update as schedule_settings_update,
)
from fleetmaint.intervals.refusals import Reason, ScheduleInvalid
from fleetmaint.intervals.timing import add_months as add_months
from fleetmaint.intervals.timing import one_year_after as one_year_after
from fleetmaint.intervals.timing import predict_due
from fleetmaint.tasks.completion import CompletionInput, completion_moment, record_meters
from fleetmaint.vehicles.models import Vehicle

# A timestamp a few minutes in the past is "now" sent over a slow network.
PAST_GRACE = timedelta(minutes=5)
DUE_SOON_DAYS = 30


def _check_mileage(mileage: int | None) -> int | None:
    if mileage is not None and (isinstance(mileage, bool) or not 0 <= mileage <= MAX_MILEAGE):
        raise ScheduleInvalid(Reason.ODOMETER_RANGE, field="odometer")
    return mileage


def _check_notes(notes: str) -> str:
    notes = clean_text(notes or "", field="notes")
    if len(notes) > MAX_NOTES:
        raise ScheduleInvalid(Reason.NOTES_TOO_LONG, field="notes")
    return notes


# --- writes ---------------------------------------------------------------------------


def _default_name(notes: str) -> str:
    first_line = notes.strip().splitlines()[0] if notes.strip() else ""
    return (first_line[:117] + "…") if len(first_line) > 120 else (first_line or "Service")


def interval_create(
    *,
    vehicle: Vehicle,
    odometer: int | None = None,
    time: datetime | None = None,
    notes: str = "",
    name: str = "",
    already_overdue: bool = False,
) -> ServiceInterval:
    """A service interval due at a mileage, a date, or whichever comes first.

    The mileage and date follow ``intervals.inputs.check_new_due``: ahead of the
    odometer, within ten years, before today only when ``already_overdue``.
    """
    now = timezone.now()
    notes = _check_notes(notes)
    mileage = _check_mileage(odometer)
    moment = time
    check_new_due(
        vehicle=vehicle, mileage=mileage, moment=moment, now=now, already_overdue=already_overdue
    )
    if mileage is None and moment is None:
        raise ScheduleInvalid(Reason.NO_BASIS, field="odometer")
    name = clean_text((name or "").strip(), field="name")
    if len(name) > 120:
        raise ValidationFailed("The name can be at most 120 characters.", field="name")
    with transaction.atomic():
        interval = ServiceInterval.objects.create(
            org_id=vehicle.org_id,
            vehicle=vehicle,
            name=name or _default_name(notes),
            service_at_mileage=mileage,
            service_at_date=moment,
            notes=notes,
            start_odometer=vehicle.odometer,
            predicted_due_at=predict_due(vehicle, mileage, moment, now),
        )
        intervals_evaluate(vehicle_ids=[vehicle.pk])
    interval.refresh_from_db()
    return interval


def interval_update_notes(*, interval: ServiceInterval, notes: str) -> ServiceInterval:
    """Appends the note; when both together are too long, the new note replaces the old."""
    notes = _check_notes(notes)
    if not notes:
        return interval
    old = interval.notes
    if len(old) + len(notes) > MAX_NOTES:
        interval.notes = notes
    else:
        # A line break between them when it fits; the limit counts the notes, not it.
        separator = "\n" if old and len(old) + len(notes) < MAX_NOTES else ""
        interval.notes = f"{old}{separator}{notes}"
    interval.edited_at = timezone.now()
    interval.save(update_fields=["notes", "edited_at", "last_updated"])
    return interval


def interval_remove(*, interval: ServiceInterval) -> None:
    interval.delete()


def interval_mark_serviced(
    *,
    interval: ServiceInterval,
    odometer: int | None = None,
    serviced_at: datetime | None = None,
    completion: CompletionInput | None = None,
    actor=None,
) -> ServiceInterval | None:
    """Records what happened and closes the interval; a preset's gets its next one.

    ``completion`` says when, the meters, the cost, the servicer and notes; the
    bare ``odometer`` and ``serviced_at`` are what orders and the vendor API
    send. A given meter value is recorded as a reading through the reading
    rules. Returns the next interval, if one was scheduled.
    """
    completion = completion or CompletionInput()
    if odometer is not None and completion.odometer is None:
        completion = completion.model_copy(update={"odometer": odometer})
    if serviced_at is not None and completion.done_at is None:
        completion = completion.model_copy(update={"done_at": serviced_at})
    now = timezone.now()
    vehicle = interval.vehicle
    done_at = completion.done_at
    if done_at is not None and timezone.is_aware(done_at) and done_at > now + PAST_GRACE:
        raise ValidationFailed("The service date cannot be in the future.", field="serviced_at")
    moment = completion_moment(completion.done_at, vehicle.org.time_zone, field="serviced_at")
    mileage = _check_mileage(completion.odometer)
    hours = completion.engine_hours
    if hours is not None:
        hours = Decimal(hours).quantize(Decimal("0.1"))
        if not vehicle.tracks_engine_hours:
            raise ValidationFailed(
                f"{vehicle.label} does not track engine hours.", field="engine_hours"
            )
    with transaction.atomic():
        closed = (
            ServiceInterval.objects.open()
            .filter(pk=interval.pk)
            .update(
                serviced_at=moment,
                serviced_odometer=mileage if mileage is not None else vehicle.odometer,
                last_updated=now,
            )
        )
        if not closed:
            raise ValidationFailed("This interval has already been serviced.", field="id")
        reading = record_meters(
            vehicle=vehicle,
            odometer=mileage,
            engine_hours=hours,
            at=moment,
            confirm_jump=completion.confirm_jump,
            note=f"Recorded with {interval.name} serviced",
            actor=actor,
        )
        current = Vehicle.objects.only("odometer", "engine_hours").get(pk=vehicle.pk)
        base_mileage = mileage if mileage is not None else current.odometer
        interval.serviced_at, interval.serviced_odometer = moment, base_mileage
        IntervalService.objects.create(
            org_id=interval.org_id,
            interval=interval,
            vehicle_id=vehicle.pk,
            serviced_at=moment,
            odometer=base_mileage,
            engine_hours=hours if hours is not None else current.engine_hours,
            cost=completion.cost or Decimal("0.00"),
            servicer=completion.servicer,
            notes=completion.notes,
            reading=reading,
            recorded_by=actor,
        )
        preset = interval.preset
        # A preset switched to engine hours since plans tasks now, not intervals.
        if preset is None or not preset.enabled or not makes_intervals(preset):
            return None
        following = preset_interval(vehicle, preset, base_mileage, moment, now)
        following.follows = interval
        following.save()
        # A service recorded late may leave the next one due already.
        intervals_evaluate(vehicle_ids=[vehicle.pk])
        following.refresh_from_db()
        return following


def _why_kept(following: ServiceInterval) -> str | None:
    """Why the interval a preset scheduled next cannot simply be removed, or None."""
    if following.serviced_at is not None:
        return "it was serviced since"
    if following.edited_at is not None:
        return "a note was added to it"
    quote = following.quotes.order_by("pk").first()
    if quote is not None:
        return f"it is on quote {quote.pk}"
    order = following.orders.order_by("pk").first()
    if order is not None:
        return f"it is on order {order.pk}"
    return None


def interval_reopen(*, interval: ServiceInterval, actor=None) -> ServiceInterval:
    """Takes back a service recorded by mistake; it stays in the history as reopened.

    The next interval its preset scheduled is removed when nobody has touched
    it (not serviced, no note added, on no quote or order); otherwise the
    interval is not reopened, and the message says why.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = (
            ServiceInterval.objects.select_for_update(of=("self",))
            .select_related("vehicle", "vehicle__org")
            .filter(pk=interval.pk)
            .first()
        )
        if locked is None:
            raise NotFound("That interval does not exist.")
        if locked.serviced_at is None:
            raise Conflict("This interval is open; there is nothing to reopen.", field="id")
        following = (
            ServiceInterval.objects.select_for_update(of=("self",)).filter(follows=locked).first()
        )
        if following is not None:
            reason = _why_kept(following)
            if reason:
                raise Conflict(
                    f"{locked.name} cannot be reopened: the next one its preset scheduled "
                    f"(interval {following.pk}) is kept because {reason}.",
                    field="id",
                )
            following.delete()
        service = locked.services.filter(reopened_at=None).order_by("-serviced_at", "-pk").first()
        if service is not None:
            service.reopened_at = now
            service.reopened_by = actor
            service.next_removed = following is not None
            service.save(update_fields=["reopened_at", "reopened_by", "next_removed"])
        vehicle = locked.vehicle
        locked.serviced_at = None
        locked.serviced_odometer = None
        locked.predicted_due_at = predict_due(
            vehicle, locked.service_at_mileage, locked.service_at_date, now
        )
        locked.save()
        intervals_evaluate(vehicle_ids=[vehicle.pk])
    locked.refresh_from_db()
    return locked


# --- thresholds -----------------------------------------------------------------------


def is_required(interval: ServiceInterval, now: datetime) -> bool:
    odometer = interval.vehicle.odometer
    by_mileage = (
        interval.service_at_mileage is not None
        and odometer is not None
        and odometer >= interval.service_at_mileage
    )
    by_date = interval.service_at_date is not None and now >= interval.service_at_date
    return by_mileage or by_date


def required_q(now: datetime) -> Q:
    """Intervals the vehicle's odometer or the calendar has reached."""
    return Q(service_at_mileage__lte=F("vehicle__odometer")) | Q(service_at_date__lte=now)
