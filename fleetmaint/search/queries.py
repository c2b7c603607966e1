"""The search in the header: vehicles, tasks, orders and contracts matching some text.

Each kind is one statement, cut at ``limit + 1`` rows (the extra row only says
that there are more), so a search costs four statements whatever it finds and
however large the fleet is.

How each kind is matched (``icontains``, or for vehicles the same over their
fields joined, which PostgreSQL answers from the trigram indexes of search
migrations 0001 and 0002 and tasks migration 0005; SQLite reads the tables):

- vehicles by label, plate, VIN and key; an exact match comes first;
- tasks by description and comment;
- orders by number ("1234", "#1234", "order 1234"), status note and the names
  of their items;
- contracts by number and provider.

The fleet's vehicles and contracts are bounded by its size and are read
whatever the text. Tasks and orders grow with the years, and a trigram index
can only answer text of three characters or more, so shorter text matches
them by order number only (``TEXT_MIN``). Of tasks and orders, at most
``GATHER`` matches are gathered first (from the indexes, in no order) and the
shown ones picked from those: ordering every match would read every task
when a word such as "oil" matches a hundred thousand of them.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.db.models import BooleanField, Case, F, IntegerField, Model, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.urls import reverse

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.contracts.models import ContractStatus, VehicleContract
from fleetmaint.orders.models import OrderItem, ServiceOrder
from fleetmaint.tasks.models import ServiceTask, Status
from fleetmaint.vehicles.models import Vehicle

TERM_MAX = 100  # characters; longer text is cut here and the page says so
TEXT_MIN = 3  # characters for tasks' and orders' text (a trigram)
GATHER = 1_000
PER_KIND = 8  # on the search page
SUGGESTED = 4  # in the header's suggestions
KIND_PAGE = 50  # a search of one kind (?kind=orders), the "more" of orders

KINDS = ("vehicles", "tasks", "orders", "contracts")
HEADINGS = {
    "vehicles": "Vehicles",
    "tasks": "Tasks",
    "orders": "Orders",
    "contracts": "Contracts",
}

_ORDER_NUMBER = re.compile(r"^(?:order\s*)?(?:no\.?\s*)?#?\s*(\d{1,12})$", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """The text searched for, cleaned, and what the page should say about it."""

    text: str
    note: str = ""  # why the text is not quite what was typed

    @property
    def searches_text(self) -> bool:
        """Whether the text is long enough to look for in tasks and orders."""
        return len(self.text) >= TEXT_MIN

    @property
    def order_number(self) -> int | None:
        found = _ORDER_NUMBER.match(self.text)
        return int(found.group(1)) if found else None


def clean_term(raw: object) -> Term:
    """The typed text as it is searched for: control characters (NUL among them, which
    PostgreSQL refuses) and surrounding blanks removed, runs of blanks made one, and
    at most ``TERM_MAX`` characters."""
    text = "".join(
        " " if char.isspace() else char
        for char in str(raw or "")
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf", "Cs")
    )
    text = " ".join(text.split())
    if len(text) > TERM_MAX:
        return Term(
            text[:TERM_MAX].rstrip(),
            f"Only the first {TERM_MAX} characters of your search were used.",
        )
    return Term(text)


@dataclass(frozen=True)
class Hit:
    """One thing found, as the results and suggestions show it."""

    title: str
    detail: str
    url: str
    note: str = ""  # a short state: "archived", "done", "ended"


@dataclass(frozen=True)
class Group:
    kind: str
    hits: list[Hit]
    more_url: str  # where the rest are, when there are more than shown
    has_more: bool = False

    @property
    def heading(self) -> str:
        return HEADINGS[self.kind]


@dataclass(frozen=True)
class Results:
    term: Term
    groups: list[Group] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(len(group.hits) for group in self.groups)

    @property
    def has_more(self) -> bool:
        return any(group.has_more for group in self.groups)


def _gathered(model: type[Model], *parts: QuerySet) -> QuerySet:
    """The rows whose ids the parts (querysets of ids, each cut at GATHER) hold.

    On PostgreSQL as ``id = ANY(ARRAY(part UNION ALL part))``: each part is planned
    on its own, from its trigram index, and the rows are then fetched by primary
    key. ``id IN (...)`` ORed together would read the whole table instead.
    """
    if not sql.on_postgres():
        found = Q()
        for part in parts:
            found |= Q(pk__in=part)
        return model.objects.filter(found)
    ids = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    query, params = ids.query.sql_with_params()
    column = f'"{model._meta.db_table}"."{model._meta.pk.column}"'
    return model.objects.filter(
        RawSQL(f"{column} = ANY(ARRAY({query}))", params, output_field=BooleanField())
    )


def _ids(matches: QuerySet, column: str = "pk") -> QuerySet:
    """At most GATHER ids of the matches, in no order."""
    return matches.order_by().values(column)[:GATHER]


# --- vehicles --------------------------------------------------------------------------


# A vehicle's searched text as one expression, the one the trigram index of search
# migration 0002 holds: the fields joined by chr(31), which ``clean_term`` takes out
# of every search, so that no match runs from one field into the next.
VEHICLE_TEXT = (
    'UPPER("vehicles_vehicle"."label"::text || chr(31) || "vehicles_vehicle"."vehicle_key"::text'
    ' || chr(31) || "vehicles_vehicle"."plate"::text || chr(31) || "vehicles_vehicle"."vin"::text)'
)


def vehicle_text_holds(text: str) -> Q | RawSQL:
    """Label, key, plate or VIN holds the text, in any case."""
    if not sql.on_postgres():
        return (
            Q(label__icontains=text)
            | Q(vehicle_key__icontains=text)
            | Q(plate__icontains=text)
            | Q(vin__icontains=text)
        )
    pattern = f"%{connection.ops.prep_for_like_query(text)}%"
    return RawSQL(f"{VEHICLE_TEXT} LIKE UPPER(%s)", (pattern,), output_field=BooleanField())


def vehicles_matching(org: Organization, term: Term) -> QuerySet[Vehicle]:
    text = term.text
    exact = (
        Q(label__iexact=text)
        | Q(vehicle_key__iexact=text)
        | Q(plate__iexact=text)
        | Q(vin__iexact=text)
    )
    return (
        Vehicle.objects.for_org(org)
        .filter(vehicle_text_holds(text))
        .annotate(
            rank=Case(When(exact, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("rank", "archived", Lower("label"), "id")
        .only("label", "vehicle_key", "plate", "vin", "make", "model", "archived")
    )


def _vehicle_hit(vehicle: Vehicle) -> Hit:
    parts = [vehicle.vehicle_key, vehicle.plate, f"VIN {vehicle.vin}" if vehicle.vin else ""]
    parts.append(" ".join(part for part in (vehicle.make, vehicle.model) if part))
    return Hit(
        title=vehicle.label,
        detail=" · ".join(part for part in parts if part),
        url=reverse("vehicles:detail", args=[vehicle.pk]),
        note="archived" if vehicle.archived else "",
    )


# --- tasks -------------------------------------------------------------------------------


def tasks_matching(org: Organization, term: Term) -> QuerySet[ServiceTask]:
    """Tasks whose description or comment holds the text: open ones first, the soonest
    due first, then done ones."""
    if not term.searches_text:
        return ServiceTask.objects.none()
    text = term.text
    matches = ServiceTask.objects.for_org(org).filter(
        Q(description__icontains=text) | Q(comment__icontains=text)
    )
    done_last = Case(When(status=Status.DONE, then=Value(1)), default=Value(0))
    return (
        _gathered(ServiceTask, _ids(matches))
        .select_related("vehicle")
        .order_by(done_last, F("predicted_end_date").asc(nulls_last=True), "id")
        .only("description", "status", "predicted_end_date", "vehicle__label")
    )


def _task_hit(task: ServiceTask) -> Hit:
    return Hit(
        title=task.description,
        detail=f"{task.vehicle.label} · {task.get_status_display()}",
        url=reverse("tasks:detail", args=[task.pk]),
        note="done" if task.status == Status.DONE else "",
    )


# --- orders ------------------------------------------------------------------------------


def orders_matching(org: Organization, term: Term) -> QuerySet[ServiceOrder]:
    """Orders by number, or whose status note or an item's name holds the text; newest
    first."""
    parts = []
    if term.order_number is not None:
        parts.append(ServiceOrder.objects.filter(org=org, pk=term.order_number).values("pk"))
    if term.searches_text:
        text = term.text
        noted = ServiceOrder.objects.filter(org=org, status_reason__icontains=text)
        items = OrderItem.objects.filter(order__org=org, name__icontains=text)
        parts += [_ids(noted), _ids(items, "order_id")]
    if not parts:
        return ServiceOrder.objects.none()
    return (
        _gathered(ServiceOrder, *parts)
        .filter(org=org)
        .select_related("vehicle", "servicer")
        .order_by("-created_at", "-id")
        .only("status", "service_type", "created_at", "vehicle__label", "servicer__name")
    )


def _order_hit(order: ServiceOrder) -> Hit:
    return Hit(
        title=f"Order {order.pk}",
        detail=" · ".join((order.vehicle.label, order.servicer.name, order.get_status_display())),
        url=reverse("orders:detail", args=[order.pk]),
    )


# --- contracts ---------------------------------------------------------------------------


def contracts_matching(org: Organization, term: Term) -> QuerySet[VehicleContract]:
    """Contracts whose number or provider holds the text: active ones first, the
    soonest ending first."""
    text = term.text
    not_active_last = Case(When(status=ContractStatus.ACTIVE, then=Value(0)), default=Value(1))
    return (
        VehicleContract.objects.filter(org=org)
        .filter(Q(number__icontains=text) | Q(provider__icontains=text))
        .select_related("vehicle")
        .order_by(not_active_last, F("end_date").asc(nulls_last=True), "id")
        .only("contract_type", "number", "provider", "status", "end_date", "vehicle__label")
    )


def _contract_hit(contract: VehicleContract) -> Hit:
    ends = f"ends {contract.end_date:%Y-%m-%d}" if contract.end_date else ""
    parts = (contract.provider, contract.vehicle.label, ends)
    return Hit(
        title=f"{contract.get_contract_type_display()} {contract.number}",
        detail=" · ".join(part for part in parts if part),
        url=reverse("contracts:vehicle", args=[contract.vehicle_id]) + f"#contract-{contract.pk}",
        note="" if contract.status == ContractStatus.ACTIVE else contract.get_status_display(),
    )


# --- all kinds -----------------------------------------------------------------------------

_READS = {
    "vehicles": (vehicles_matching, _vehicle_hit),
    "tasks": (tasks_matching, _task_hit),
    "orders": (orders_matching, _order_hit),
    "contracts": (contracts_matching, _contract_hit),
}


def more_url(kind: str, term: Term) -> str:
    """The list that shows the rest: the kind's own list filtered by the text, or for
    orders, whose list has no search, this search of orders alone."""
    if kind == "vehicles":
        return f"{reverse('vehicles:list')}?{urlencode({'q': term.text})}"
    if kind == "tasks":
        return f"{reverse('tasks:list')}?{urlencode({'q': term.text, 'status': 'all'})}"
    if kind == "contracts":
        return f"{reverse('contracts:list')}?{urlencode({'q': term.text})}"
    return f"{reverse('search:page')}?{urlencode({'q': term.text, 'kind': kind})}"


def search(
    org: Organization, term: Term, *, limit: int = PER_KIND, kinds: tuple[str, ...] = KINDS
) -> Results:
    """The organization's matches of each kind, at most ``limit`` each: one statement a
    kind, none for empty text."""
    if not term.text:
        return Results(term)
    groups = []
    for kind in kinds:
        read, hit = _READS[kind]
        rows = list(read(org, term)[: limit + 1])
        groups.append(
            Group(
                kind=kind,
                hits=[hit(row) for row in rows[:limit]],
                more_url=more_url(kind, term),
                has_more=len(rows) > limit,
            )
        )
    return Results(term, groups)
