"""Asking for quotes from the Due page: the work ticked there, one quote per vehicle.

The page lists the ticked work by vehicle ("Van 1 (3 items), Van 2 (1 item)")
with one choice of servicer. Each item is a tick box, ticked, so that after a
refusal the page comes back with the ticks as they were and the reason next to
the vehicle at fault: untick what is refused and ask again. The boxes a person
unticked stay listed (``listed_interval``, ``listed_task``), unticked.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from fleetmaint.accounts.access import ensure_can_write, member_required
from fleetmaint.errors import DomainError
from fleetmaint.orders import queries, quotes
from fleetmaint.orders.forms import QuoteRequestForm
from fleetmaint.orders.models import Quote, ServiceType
from fleetmaint.orders.queries import DueSelection, DueWork, Holder
from fleetmaint.orders.vehicle_quotes import QuotesRefused, quotes_create_per_vehicle
from fleetmaint.web import INVALID, redirect_page, render_page

MAX_SHOWN = 100  # quotes listed on the page after asking
MAX_TICKS = 500  # ids read of each kind: far more than the Due page shows at once


def _ids(values: list[str]) -> set[int]:
    return {int(v) for v in values[:MAX_TICKS] if v.isdecimal() and len(v) < 12}


@dataclass
class Ticks:
    """What the request ticked, and what the page listed (ticked or not)."""

    intervals: set[int]
    tasks: set[int]
    listed_intervals: set[int] = field(default_factory=set)
    listed_tasks: set[int] = field(default_factory=set)

    @classmethod
    def read(cls, source) -> "Ticks":
        intervals, tasks = _ids(source.getlist("interval")), _ids(source.getlist("task"))
        return cls(
            intervals,
            tasks,
            intervals | _ids(source.getlist("listed_interval")),
            tasks | _ids(source.getlist("listed_task")),
        )


@dataclass
class Group:
    """One vehicle's part of the page: its work, what is ticked, and why it was refused."""

    work: DueWork
    ticked: DueWork
    error: str = ""
    taken: Holder | None = None

    @property
    def vehicle(self):
        return self.work.vehicle

    def refuse(self, error: DomainError) -> None:
        self.error = error.message
        self.taken = error.holder if isinstance(error, quotes.WorkTaken) else None


def _groups(selection: DueSelection, ticks: Ticks) -> list[Group]:
    groups = []
    for work in selection.groups:
        for row in work.intervals:
            row.ticked = row.pk in ticks.intervals
        for row in work.tasks:
            row.ticked = row.pk in ticks.tasks
        ticked = DueWork(
            work.vehicle,
            [i for i in work.intervals if i.ticked],
            [t for t in work.tasks if t.ticked],
        )
        groups.append(Group(work, ticked))
    return groups


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _summary(groups: list[Group]) -> str:
    """ "Van 1 (3 items), Van 2 (1 item)": the vehicles with work ticked."""
    return ", ".join(
        f"{g.vehicle.label} ({_plural(g.ticked.size, 'item', 'items')})"
        for g in groups
        if g.ticked.size
    )


def _missing_note(missing: int) -> str:
    if not missing:
        return ""
    what = _plural(missing, "ticked item is", "ticked items are")
    return f"{what} no longer due or could not be found, and left out."


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _check_ahead(groups: list[Group], context: dict) -> None:
    """Before asking: say at once which vehicle's ticked work is already held."""
    for group in groups:
        if group.ticked.size:
            refusal = quotes.work_taken(group.vehicle, group.ticked.intervals, group.ticked.tasks)
            if refusal is not None:
                group.refuse(refusal)
    held = [g for g in groups if g.error]
    if len(groups) == 1 and held:
        context["error"], context["taken"] = held[0].error, held[0].taken
    elif held:
        names = _joined([g.vehicle.label for g in held])
        context["error"] = (
            f"The work ticked for {names} cannot be quoted as it stands (see below): "
            "untick what is refused, or ask for the other vehicles first."
        )


def _ask(request: HttpRequest, groups: list[Group], context: dict) -> list[Quote] | None:
    """Makes the quotes, or puts the refusal on the page and returns None."""
    try:
        servicer_id, service_type, pre_authorized = QuoteRequestForm(request.POST).typed()
        servicer = queries.servicer_for(request.org, servicer_id)
        return quotes_create_per_vehicle(
            org=request.org,
            servicer=servicer,
            service_type=service_type,
            work=[g.ticked for g in groups],
            pre_authorized=pre_authorized,
            actor=request.user,
        )
    except QuotesRefused as refused:
        for group in groups:
            if group.vehicle.pk in refused.refusals:
                group.refuse(refused.refusals[group.vehicle.pk])
        if len(groups) == 1:
            context["taken"] = groups[0].taken
        context["error"] = refused.message
    except DomainError as error:
        context["error"] = error.message
    return None


def _made(request: HttpRequest, made: list[Quote]) -> HttpResponse:
    servicer = made[0].servicer
    if len(made) == 1:
        messages.success(request, f"Quote {made[0].pk} from {servicer.name} is ready.")
        return redirect_page(request, reverse("orders:quote", args=[made[0].pk]))
    messages.success(request, f"{len(made)} quotes from {servicer.name} are ready.")
    query = urlencode([("quote", q.pk) for q in made])
    return redirect_page(request, f"{reverse('orders:quotes-made')}?{query}")


@member_required
def quote_new(request: HttpRequest) -> HttpResponse:
    """Asks one servicer for a quote for each vehicle whose due work is ticked.

    Viewers may not ask for quotes, so they get the explanation, not a form they
    could never send, whatever work the link selects.
    """
    ensure_can_write(request)
    source = request.POST if request.method == "POST" else request.GET
    ticks = Ticks.read(source)
    selection = queries.due_work_by_vehicle(
        org=request.org, interval_ids=ticks.listed_intervals, task_ids=ticks.listed_tasks
    )
    groups = _groups(selection, ticks)
    queries.mark_work_holders(
        request.org,
        [i for g in groups for i in g.work.intervals],
        [t for g in groups for t in g.work.tasks],
    )
    asked = [g for g in groups if g.ticked.size]
    context = {
        "groups": groups,
        "asked": asked,
        "vehicle": asked[0].vehicle if len(asked) == 1 else None,
        "summary": _summary(groups),
        "missing": _missing_note(selection.missing),
        "servicers": list(queries.servicers_for(request.org)),
        "service_types": ServiceType.choices,
        "values": source,
        "error": "",
        "taken": None,
    }
    if not asked:
        context["error"] = (
            "Tick at least one item to quote."
            if groups
            else "Nothing to quote: tick the due work of one or more vehicles on the Due page."
        )
    elif request.method == "GET":
        _check_ahead(groups, context)
    elif selection.missing:
        context["error"] = "No quote was made: check the work below and ask again."
    else:
        made = _ask(request, groups, context)
        if made:
            return _made(request, made)
    refused = request.method == "POST" or context["error"] or any(g.error for g in groups)
    return render_page(
        request, "orders/quote_new.html", context, status=INVALID if refused else 200
    )


@member_required
def quotes_made(request: HttpRequest) -> HttpResponse:
    """The quotes just asked for several vehicles, each with a link to answer it."""
    ids = sorted(_ids(request.GET.getlist("quote")))[:MAX_SHOWN]
    made = list(
        queries.org_quotes(request.org)
        .filter(pk__in=ids)
        .prefetch_related(None)
        .annotate(item_count=Count("items"))
        .order_by("vehicle__label", "pk")
    )
    if not made:
        raise Http404("No such quotes.")
    return render_page(request, "orders/quotes_made.html", {"quotes": made})
