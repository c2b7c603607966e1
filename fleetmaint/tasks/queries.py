"""Reads of service tasks shared by the Tasks pages, the JSON API and the compat endpoints."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.db.models import BooleanField, CharField, F, IntegerField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from fleetmaint import sql
from fleetmaint.accounts.models import Organization
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.tasks import tally, wear_sql
from fleetmaint.tasks.models import OPEN_STATUSES, STATUS_RANK, ServiceTask, Status
from fleetmaint.tasks.sorting import DEFAULT_SORT, SORT_NAMES, Sort, parse_sort
from fleetmaint.vehicles.models import Vehicle

__all__ = ["DEFAULT_SORT", "SORT_FIELDS", "TaskFilters", "parse_sort", "task_for", "task_list"]

# What each of the sort names (``tasks.sorting``, seed 004's keys) orders by.
SORT_FIELDS = {
    "id": ("id",),
    "vehicle": (Lower("vehicle__label"),),
    "description": (Lower("description"),),
    "status": (STATUS_RANK,),
    "cost": ("cost",),
    "predicted_date": ("predicted_end_date",),
}
assert tuple(SORT_FIELDS) == SORT_NAMES


@dataclass(frozen=True)
class TaskFilters:
    statuses: tuple[str, ...] = ()
    vehicle_ids: tuple[int, ...] = ()
    unplanned: bool | None = None
    search: str = ""
    sort: Sort = DEFAULT_SORT
    # Predicted to end from the first moment of ``due_from`` to before ``due_until``.
    due_from: datetime | None = None
    due_until: datetime | None = None
    # Only these tasks (the API's page of changed tasks).
    task_ids: tuple[int, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)


def task_for(org: Organization, task_id: int) -> ServiceTask:
    """The organization's task with its vehicle, or NotFound (another fleet's too)."""
    task = (
        ServiceTask.objects.for_org(org)
        .filter(pk=task_id)
        .select_related("vehicle", "vehicle__org")
        .first()
    )
    if task is None:
        raise NotFound("That task does not exist.", field="task_id")
    return task


# Only the predicted date can be empty. Saying NULLS LAST of a column that cannot
# be NULL would stop PostgreSQL from reading a descending order off an index.
NULLABLE_SORTS = {"predicted_date"}


def _ordering(sort: Sort) -> list:
    ordering = []
    for name, direction in sort:
        nulls_last = True if name in NULLABLE_SORTS else None
        for expression in SORT_FIELDS[name]:
            target = F(expression) if isinstance(expression, str) else expression
            ordering.append(
                target.desc(nulls_last=nulls_last)
                if direction == "desc"
                else target.asc(nulls_last=nulls_last)
            )
    ordering.append(F("id").asc())
    return ordering


def _local_day(raw: object) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip()[:10])
    except ValueError:
        return None


def _due_range(query, zone: str) -> tuple[datetime | None, datetime | None]:
    """``due_from`` and ``due_to`` (local days, both included) as moments."""
    tz = zoneinfo.ZoneInfo(zone)
    first, last = _local_day(query.get("due_from")), _local_day(query.get("due_to"))
    since = datetime.combine(first, time.min, tzinfo=tz) if first else None
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz) if last else None
    return since, until


def filters_from_query(query, *, vehicle_id: int | None = None, zone: str = "UTC") -> TaskFilters:
    """The Tasks page's query string (status, vehicle, unplanned, q, sort) as filters.

    No status means the open tasks; ``status=all`` means every status. The
    Tasks pages and the report read their parameters here, so a download
    always matches the list on screen.
    """
    status = query.get("status", "")
    statuses = () if status == "all" else (status,) if status in Status.values else OPEN_STATUSES
    if vehicle_id is None:
        raw = str(query.get("vehicle") or "").strip()
        vehicle_id = int(raw) if raw.isdecimal() and len(raw) <= 12 else None
    due_from, due_until = _due_range(query, zone)
    return TaskFilters(
        due_from=due_from,
        due_until=due_until,
        statuses=tuple(str(s) for s in statuses),
        vehicle_ids=(vehicle_id,) if vehicle_id is not None else (),
        unplanned={"yes": True, "no": False}.get(query.get("unplanned", "")),
        search=query.get("q", "").replace("\x00", "").strip()[:100],
        sort=parse_sort([query.get("sort", "")], strict=False),
    )


def task_list(org: Organization, filters: TaskFilters) -> QuerySet[ServiceTask]:
    """The organization's tasks matching the filters, with vehicles and files loaded."""
    tasks = ServiceTask.objects.for_org(org)
    if filters.task_ids:
        tasks = tasks.filter(pk__in=filters.task_ids)
    if filters.statuses:
        tasks = tasks.filter(status__in=[s for s in filters.statuses if s in Status.values])
    if filters.vehicle_ids:
        tasks = tasks.filter(vehicle_id__in=filters.vehicle_ids)
    if filters.unplanned is not None:
        tasks = tasks.filter(unplanned=filters.unplanned)
    if filters.due_from is not None:
        tasks = tasks.filter(predicted_end_date__gte=filters.due_from)
    if filters.due_until is not None:
        tasks = tasks.filter(predicted_end_date__lt=filters.due_until)
    if filters.search:
        term = filters.search.replace("\x00", "").strip()
        # The vehicles are matched apart, so that each condition on the tasks can use
        # its own index (trigram indexes on PostgreSQL, migration 0005).
        vehicles = Vehicle.objects.filter(org=org).filter(
            Q(label__icontains=term) | Q(vehicle_key__icontains=term)
        )
        tasks = tasks.filter(
            Q(description__icontains=term) | Q(comment__icontains=term) | _of_vehicles(vehicles)
        )
    if filters.sort[0][0] == "vehicle":
        # Said again of the vehicle (a task's vehicle is always its organization's), so
        # that PostgreSQL walks the vehicles' (org, label) index and stops after a page.
        tasks = tasks.filter(vehicle__org=org)
    return (
        tasks.select_related("vehicle").prefetch_related("files").order_by(*_ordering(filters.sort))
    )


def _of_vehicles(vehicles: QuerySet[Vehicle]) -> RawSQL:
    """Tasks of the given vehicles. On PostgreSQL as ``= ANY(ARRAY(subquery))``: the ids
    are found first, and the tasks then come from the vehicle index, which a plain
    ``IN (subquery)`` ORed with the text conditions cannot use."""
    query, params = vehicles.values("id").query.sql_with_params()
    column = f'"{ServiceTask._meta.db_table}"."vehicle_id"'
    condition = f"{column} = ANY(ARRAY({query}))" if sql.on_postgres() else f"{column} IN ({query})"
    return RawSQL(condition, params, output_field=BooleanField())


def status_counts(org: Organization) -> dict[str, int]:
    """How many tasks are in each status, for badges and the dashboard (from the tally)."""
    return tally.status_counts(org)


def has_tasks(org: Organization, *, vehicle_id: int | None = None) -> bool:
    """Whether the organization (or one of its vehicles) has any task, of any status."""
    tasks = ServiceTask.objects.for_org(org)
    if vehicle_id is not None:
        tasks = tasks.filter(vehicle_id=vehicle_id)
    return tasks.exists()


def narrowed_by_choice(filters: TaskFilters) -> bool:
    """Whether someone chose a filter: a status other than the open ones, a kind, a search
    or a due range (the vehicle of a vehicle's own Tasks tab is no choice)."""
    return bool(
        set(filters.statuses) != set(OPEN_STATUSES)
        or filters.unplanned is not None
        or filters.search
        or filters.due_from
        or filters.due_until
    )


def task_count(org: Organization, filters: TaskFilters, tasks: QuerySet[ServiceTask]) -> int:
    """How many tasks the list holds: from the tally when only status and kind filter it."""
    narrowed = filters.vehicle_ids or filters.search or filters.due_from or filters.due_until
    if narrowed:
        return tasks.order_by().count()
    statuses = filters.statuses or Status.values
    return tally.task_count(org, statuses, filters.unplanned)


# A search matching at most this many tasks is read by its matches rather than in
# list order (see ``searched``).
SEARCH_GATHER = 5_000


def searched(tasks: QuerySet[ServiceTask]) -> tuple[QuerySet[ServiceTask], int]:
    """A searched list read the cheaper way, and how many tasks it holds.

    PostgreSQL guesses how many tasks a text search matches from nothing, and
    at a guess of a thousand it walks the list's order index until a page is
    full: through all million tasks when the search matches a handful. So the
    matches' ids are gathered first (from the trigram and vehicle indexes), up
    to ``SEARCH_GATHER``: a few are then fetched by id and sorted, and their
    number is the count; no match reads nothing more; many are counted and
    found quickly in list order, where they are dense.
    """
    ids = list(tasks.order_by().values_list("id", flat=True)[: SEARCH_GATHER + 1])
    if not ids:
        return tasks.none(), 0
    if len(ids) <= SEARCH_GATHER:
        return tasks.filter(id__in=ids), len(ids)
    return tasks, tasks.order_by().count()


def seek_column(filters: TaskFilters) -> str | None:
    """The column an index orders the list by, when the sort allows seek pages."""
    return "predicted_end_date" if filters.sort == DEFAULT_SORT else None


# --- plain rows for the API and compat lists --------------------------------------------
# The lists answer with columns, not instances: ``values()`` of ``task_list`` (the same
# filters and order), the vehicle's label and meters beside each task, and the file ids
# in one more query, so a page of 500 or 10,000 tasks costs two statements.

TASK_ROW_FIELDS = (
    "id",
    "vehicle_id",
    "description",
    "comment",
    "cost",
    "repeat",
    "unplanned",
    "mileage_limit",
    "mileage_notify",
    "mileage_repeat",
    "date_end",
    "date_notify_days",
    "date_repeat_days",
    "hours_limit",
    "hours_notify",
    "hours_repeat",
    "start_mileage",
    "start_engine_hours",
    "start_date",
    "completion_mileage",
    "completion_engine_hours",
    "completion_date",
    "completion_wear",
    "status",
    "status_condition",
    "predicted_end_date",
    "sms_phones",
    "emails",
    "push_enabled",
    "created_at",
    "updated_at",
)
_VEHICLE_ROW_FIELDS = ("vehicle__label", "vehicle__odometer", "vehicle__engine_hours")


def task_rows(
    org: Organization,
    filters: TaskFilters,
    *,
    offset: int = 0,
    limit: int | None = None,
    fields: tuple[str, ...] = TASK_ROW_FIELDS,
    json_moments: tuple[str, ...] = (),
    local_moments: tuple[tuple[str, ...], str] = ((), "UTC"),
    wear_at: datetime | None = None,
) -> list[SimpleNamespace]:
    """A page of ``task_list`` as plain rows, in two statements whatever its length.

    Each row has the task's ``fields`` under ServiceTask's attribute names,
    ``vehicle`` (its label, odometer and engine hours) and ``file_ids``
    (ascending), so the services' rules (``wear``, ``given_conditions``)
    apply to a row as they are and stay the one definition. The moments named
    in ``json_moments`` come as the JSON API writes them (``sql.json_moment``),
    those in ``local_moments`` (names, time zone) as wall-clock text
    (``sql.local_time``); with ``wear_at``, each row's ``wear`` at that moment
    (``wear_sql``).
    """
    tasks = task_list(org, filters).prefetch_related(None)
    table = ServiceTask._meta.db_table
    texts = {
        f"{name}__text": RawSQL(
            sql.json_moment(f'"{table}"."{name}"'), (), output_field=CharField()
        )
        for name in json_moments
    }
    local_names, zone = local_moments
    for name in local_names:
        text, zones = sql.local_time(f'"{table}"."{name}"')
        texts[f"{name}__text"] = RawSQL(text, (zone,) * zones, output_field=CharField())
    as_text = (*json_moments, *local_names)
    if wear_at is not None:
        vehicles = Vehicle._meta.db_table
        micros = str(wear_sql.micros_of(wear_at))  # a literal: the expression repeats it
        wear = wear_sql.task_wear(f'"{table}"', f'"{vehicles}"', micros)
        texts["wear"] = RawSQL(wear, (), output_field=IntegerField())
    page = tasks.annotate(**texts).values(
        *(name for name in fields if name not in as_text), *texts, *_VEHICLE_ROW_FIELDS
    )
    page = page[offset:] if limit is None else page[offset : offset + limit]
    rows = []
    for values in page:
        for name in as_text:
            values[name] = values.pop(f"{name}__text")
        vehicle = SimpleNamespace(
            label=values.pop("vehicle__label"),
            odometer=values.pop("vehicle__odometer"),
            engine_hours=values.pop("vehicle__engine_hours"),
        )
        rows.append(SimpleNamespace(**values, vehicle=vehicle, file_ids=[]))
    _attach_file_ids(rows)
    return rows


def _attach_file_ids(rows: list[SimpleNamespace]) -> None:
    if not rows:
        return
    by_task = {row.id: row for row in rows}
    table = ServiceTask.files.through._meta.db_table
    # The ids as one parameter: ten thousand tasks are one value, not ten thousand.
    found = sql.run(
        f"SELECT servicetask_id, taskfile_id FROM {table} "
        f"WHERE {sql.in_ids('servicetask_id', 'ids')} ORDER BY taskfile_id",
        {"ids": sql.ids_param(by_task)},
    )
    for task_id, file_id in found:
        by_task[task_id].file_ids.append(file_id)


def strict_filters(
    org: Organization,
    *,
    only_unplanned: bool = False,
    vehicle_ids: list[int] | None = None,
    statuses: list[str] | None = None,
    sort: list[str] | None = None,
) -> TaskFilters:
    """Filters a client gave (``/v2`` and the reports API); unknown statuses, sorts or
    vehicles are refused."""
    vehicle_ids = list(vehicle_ids or [])
    if vehicle_ids:
        known = Vehicle.objects.for_org(org).filter(pk__in=vehicle_ids).count()
        if known != len(set(vehicle_ids)):
            raise NotFound("One of vehicle_ids was not found.", field="vehicle_ids")
    statuses = list(statuses or [])
    for status in statuses:
        if status not in Status.values:
            shown = status if len(status) <= 40 else "that status"
            raise ValidationFailed(
                f"Unknown status {shown!r}; use {', '.join(Status.values)}.", field="statuses"
            )
    return TaskFilters(
        statuses=tuple(statuses),
        vehicle_ids=tuple(vehicle_ids),
        unplanned=True if only_unplanned else None,
        sort=parse_sort(sort or []),
    )
