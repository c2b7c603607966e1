"""Reads of vehicles and readings that pages and the API share."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.vehicles.models import Reading, Vehicle

_LABEL = Lower("label")
VEHICLE_SORTS = {
    "label": (_LABEL, "id"),
    "-label": (_LABEL.desc(), "-id"),
    "make": (Lower("make"), Lower("model"), _LABEL),
    "-make": (Lower("make").desc(), Lower("model").desc(), _LABEL.desc()),
    "year": (F("year").asc(nulls_last=True), _LABEL),
    "-year": (F("year").desc(nulls_last=True), _LABEL),
    "odometer": (F("odometer").asc(nulls_last=True), _LABEL),
    "-odometer": (F("odometer").desc(nulls_last=True), _LABEL),
    "updated": (F("odometer_at").asc(nulls_last=True), _LABEL),
    "-updated": (F("odometer_at").desc(nulls_last=True), _LABEL),
}


@dataclass(frozen=True)
class VehicleFilters:
    search: str = ""
    archived: bool | None = False
    make: str = ""
    distance_unit: str = ""
    sort: str = "label"

    @property
    def narrowed(self) -> bool:
        """Whether someone chose a filter (an empty list then means "none match")."""
        return bool(self.search or self.make or self.distance_unit or self.archived is not False)


def vehicle_list(org: Organization, filters: VehicleFilters) -> QuerySet[Vehicle]:
    """The organization's vehicles matching the filters, in the chosen order."""
    vehicles = Vehicle.objects.for_org(org)
    if filters.search:
        # No stored text holds NUL, and PostgreSQL refuses it in a query.
        term = filters.search.replace("\x00", "").strip()
        vehicles = vehicles.filter(
            Q(label__icontains=term)
            | Q(vehicle_key__icontains=term)
            | Q(vin__icontains=term)
            | Q(plate__icontains=term)
            | Q(make__icontains=term)
            | Q(model__icontains=term)
        )
    if filters.archived is not None:
        vehicles = vehicles.filter(archived=filters.archived)
    if filters.make:
        vehicles = vehicles.filter(make__iexact=filters.make.replace("\x00", ""))
    if filters.distance_unit:
        vehicles = vehicles.filter(distance_unit=filters.distance_unit)
    return vehicles.order_by(*VEHICLE_SORTS.get(filters.sort, VEHICLE_SORTS["label"]))


def vehicle_key_taken(org: Organization, key: str, *, exclude_id: int | None = None) -> bool:
    """Whether another vehicle of the organization uses ``key``."""
    taken = Vehicle.objects.for_org(org).filter(vehicle_key=key)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    return taken.exists()


MAKES_SHOWN = 50


def vehicle_makes(org: Organization, *, limit: int | None = None) -> list[str]:
    """The makes in the fleet, alphabetically; at most ``limit`` of them."""
    makes = (
        Vehicle.objects.for_org(org)
        .exclude(make="")
        .order_by("make")
        .values_list("make", flat=True)
        .distinct()
    )
    return list(makes[:limit] if limit is not None else makes)


def vehicle_readings(vehicle: Vehicle) -> QuerySet[Reading]:
    """The vehicle's readings, newest first: the API's list."""
    return Reading.objects.filter(vehicle=vehicle)


def reading_series(vehicle: Vehicle, *, limit: int = 500) -> list[Reading]:
    """The newest ``limit`` readings not voided, oldest first, for charts."""
    counted = Reading.objects.counted().filter(vehicle=vehicle)
    newest = list(counted.order_by("-recorded_at", "-id")[:limit])
    newest.reverse()
    return newest


# --- distance driven ------------------------------------------------------------------

# Readings that count for distance: not voided, with an odometer.
_COUNTED = "vehicle_id = %(vehicle)s AND voided_at IS NULL AND odometer IS NOT NULL"
# One statement: the distance between consecutive readings inside the period (a
# correction starts a new meter, so the step into it is not distance driven), then
# the last reading before the period and the first inside it, for the step across
# its start.
_DRIVEN = (
    "SELECT 'within', SUM(CASE WHEN NOT w.is_correction AND w.odometer > w.previous "
    "THEN w.odometer - w.previous ELSE 0 END), NULL, NULL "
    "FROM (SELECT odometer, is_correction, "
    "LAG(odometer) OVER (ORDER BY recorded_at, id) AS previous "
    f"FROM vehicles_reading WHERE {_COUNTED} "
    "AND recorded_at >= %(since)s AND recorded_at < %(until)s) w "
    "UNION ALL SELECT * FROM (SELECT 'before', odometer, recorded_at, is_correction "
    f"FROM vehicles_reading WHERE {_COUNTED} AND recorded_at < %(since)s "
    "ORDER BY recorded_at DESC, id DESC LIMIT 1) b "
    "UNION ALL SELECT * FROM (SELECT 'first', odometer, recorded_at, is_correction "
    f"FROM vehicles_reading WHERE {_COUNTED} "
    "AND recorded_at >= %(since)s AND recorded_at < %(until)s "
    "ORDER BY recorded_at, id LIMIT 1) f"
)


def distance_driven(vehicle: Vehicle, since: datetime, until: datetime) -> int:
    """How far the vehicle went from ``since`` to ``until``, by its counted readings.

    The steps between readings inside the period count in full; the step from the
    last reading before the period to the first inside it counts for the share of
    its time that falls inside (the vehicle is taken to have driven evenly between
    two readings). A step into a correction (a replaced or rolled-over meter) is
    not distance driven.
    """
    found = {
        part: (value, at, correction)
        for part, value, at, correction in sql.run(
            _DRIVEN, {"vehicle": vehicle.pk, "since": since, "until": until}
        )
    }
    distance = float(found["within"][0] or 0)
    before, first = found.get("before"), found.get("first")
    if before and first and not first[2] and first[0] > before[0]:
        start, end = sql.moment(before[1]), sql.moment(first[1])
        share = (end - since) / (end - start) if end > start else 1.0
        distance += (first[0] - before[0]) * share
    return round(distance)


# --- the vehicle search field ------------------------------------------------------
#
# Pages that filter by vehicle show a search field with suggestions instead of a
# drop-down of the whole fleet. The browser fills the field with a suggestion's
# text, "Label (KEY)"; without JavaScript people type a label or a key. Both come
# back here as text and are resolved to one vehicle, or to a message.

SUGGESTIONS = 20
# Vehicles in use before archived ones. Said as an expression, not the column, so
# that PostgreSQL filters the fleet first and sorts the few matches, instead of
# walking an index in this order and reading every vehicle it passes.
_ACTIVE_FIRST = Case(When(archived=True, then=Value(1)), default=Value(0))


def vehicle_choice_text(vehicle: Vehicle) -> str:
    """What a suggestion puts in the field; ``vehicle_resolve`` reads it back exactly."""
    return f"{vehicle.label} ({vehicle.vehicle_key})"


def _search_q(term: str) -> Q:
    return Q(label__icontains=term) | Q(vehicle_key__icontains=term) | Q(plate__icontains=term)


def _choices(vehicles: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    """Only what a suggestion shows, active vehicles first."""
    return vehicles.only("id", "label", "vehicle_key", "plate", "archived").order_by(
        _ACTIVE_FIRST, _LABEL, "id"
    )


def vehicle_suggestions(org: Organization, term: str, *, limit: int = SUGGESTIONS) -> list[Vehicle]:
    """At most ``limit`` of the organization's vehicles whose label, key or plate holds ``term``."""
    term = term.replace("\x00", "").strip()
    if not term:
        return []
    return list(_choices(Vehicle.objects.for_org(org).filter(_search_q(term)))[:limit])


@dataclass(frozen=True)
class VehicleMatch:
    """The outcome of resolving typed text: one vehicle, or a message and the candidates."""

    text: str = ""
    vehicle: Vehicle | None = None
    message: str = ""
    candidates: tuple[Vehicle, ...] = ()

    @property
    def vehicle_id(self) -> int | None:
        return self.vehicle.pk if self.vehicle else None


def _key_in(text: str) -> str:
    """The key of a suggestion's text, "Label (KEY)", or "" when the text has no such end."""
    if text.endswith(")") and " (" in text:
        return text.rsplit(" (", 1)[1][:-1]
    return ""


def _ranked(org: Organization, text: str) -> list[Vehicle]:
    """Candidates for typed text in one query: the vehicle with that key (rank 0), then those
    with that label (1), then those whose label, key or plate holds it (2)."""
    keys = Q(vehicle_key__iexact=text)
    if _key_in(text):
        keys |= Q(vehicle_key__iexact=_key_in(text))
    rank = Case(
        When(keys, then=Value(0)),
        When(label__iexact=text, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    found = (
        _choices(Vehicle.objects.for_org(org).filter(keys | _search_q(text)))
        .annotate(rank=rank)
        .order_by("rank", _ACTIVE_FIRST, _LABEL, "id")
    )
    return list(found[: SUGGESTIONS + 1])


def vehicle_resolve(org: Organization, text: str) -> VehicleMatch:
    """The one vehicle of ``org`` that typed text names: its key, "Label (KEY)", its label,
    or a part of its label, key or plate that no other vehicle shares. One query."""
    text = text.replace("\x00", "").strip()[:200]
    if not text:
        return VehicleMatch()
    found = _ranked(org, text)
    if found and found[0].rank < 2:
        # A key or a whole label says which vehicle more surely than a part of one,
        # and a key spelled exactly more surely than one differing only in case.
        found = [v for v in found if v.rank == found[0].rank]
        found = [v for v in found if v.vehicle_key in (text, _key_in(text))] or found
    if len(found) == 1:
        return VehicleMatch(text=text, vehicle=found[0])
    if not found:
        return VehicleMatch(text=text, message=f"No vehicle matches “{text}”.")
    many = f"More than {SUGGESTIONS}" if len(found) > SUGGESTIONS else str(len(found))
    return VehicleMatch(
        text=text,
        message=f"{many} vehicles match “{text}”: choose one of the suggestions or type its key.",
        candidates=tuple(found[:SUGGESTIONS]),
    )
