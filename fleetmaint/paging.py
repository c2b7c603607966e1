"""Pages of long lists that cost the same on page 40,000 as on page 1.

An OFFSET makes the database walk past every row before the page; deep in a
list of a million tasks that is most of the list. A seek page starts from the
last row shown instead (``after``) or the first (``before``): the next 25 rows
come straight from the index that orders the list.

A list is seekable when it is ordered by one column, ascending with NULLs
last, then by id, and an index holds that order: ``(org, column, id)``. Rows
whose column is NULL come last, so a page may end in the non-NULL rows and
go on in the NULL ones: that takes a second, equally cheap query. The page
number in the URL is only for display ("Page 3 of 40,001"); the cursor alone
decides which rows come.
"""

from dataclasses import dataclass
from datetime import datetime
from math import ceil
from urllib.parse import urlencode

from django.db import connection
from django.db.models import BooleanField, F, Model, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL

SEPARATOR = "~"


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the ordering column's value (None for NULL) and the row's id."""

    value: datetime | None
    pk: int

    def encode(self) -> str:
        return f"{self.value.isoformat() if self.value else ''}{SEPARATOR}{self.pk}"

    @classmethod
    def decode(cls, raw: object) -> "Cursor | None":
        """A cursor from a URL, or None for anything that is not one (a first page then)."""
        value, separator, pk = str(raw or "")[:80].rpartition(SEPARATOR)
        if not separator or not pk.isdecimal() or len(pk) > 18:
            return None
        if not value:
            return cls(None, int(pk))
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return cls(moment, int(pk)) if moment.tzinfo else None


@dataclass
class ListPage:
    """One page of a list and the links to its neighbours, by cursor or by number."""

    rows: list
    number: int
    count: int
    size: int
    base_query: str
    previous_params: dict | None = None
    next_params: dict | None = None
    last_params: dict | None = None

    @property
    def num_pages(self) -> int:
        return max(ceil(self.count / self.size), 1)

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.rows) - 1 if self.rows else 0

    def _link(self, params: dict | None) -> str | None:
        if params is None:
            return None
        return "?" + "&".join(part for part in (self.base_query, urlencode(params)) if part)

    @property
    def first_url(self) -> str | None:
        return self._link({}) if self.number > 1 else None

    @property
    def previous_url(self) -> str | None:
        return self._link(self.previous_params)

    @property
    def next_url(self) -> str | None:
        return self._link(self.next_params)

    @property
    def last_url(self) -> str | None:
        return self._link(self.last_params)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _compare(model: type[Model], column: str, operator: str, cursor: Cursor) -> RawSQL:
    """``(column, id) <op> (value, pk)`` as one row comparison, which an index can seek to."""
    table = model._meta.db_table
    # RawSQL parameters skip the field's conversion: SQLite stores datetimes as text.
    value = model._meta.get_field(column).get_db_prep_value(cursor.value, connection)
    return RawSQL(
        f'("{table}"."{column}", "{table}"."id") {operator} (%s, %s)',
        (value, cursor.pk),
        output_field=BooleanField(),
    )


def _forward(rows: QuerySet, column: str, cursor: Cursor | None, limit: int) -> list:
    """Up to ``limit`` rows after the cursor, in list order (column ascending, NULLs last)."""
    ascending = rows.order_by(column, "id")
    nulls = rows.filter(**{f"{column}__isnull": True}).order_by("id")
    if cursor is not None and cursor.value is None:
        return list(nulls.filter(id__gt=cursor.pk)[:limit])
    if cursor is not None:
        ascending = ascending.filter(_compare(rows.model, column, ">", cursor))
    found = list(ascending.filter(**{f"{column}__isnull": False})[:limit])
    if len(found) < limit:
        found += list(nulls[: limit - len(found)])
    return found


def _backward(rows: QuerySet, column: str, cursor: Cursor | None, limit: int) -> list:
    """Up to ``limit`` rows before the cursor (the end without one), in list order."""
    descending = rows.filter(**{f"{column}__isnull": False}).order_by(f"-{column}", "-id")
    found: list = []
    if cursor is None or cursor.value is None:
        nulls = rows.filter(**{f"{column}__isnull": True}).order_by("-id")
        if cursor is not None:
            nulls = nulls.filter(id__lt=cursor.pk)
        found = list(nulls[:limit])
    else:
        descending = descending.filter(_compare(rows.model, column, "<", cursor))
    if len(found) < limit:
        found += list(descending[: limit - len(found)])
    found.reverse()
    return found


def seek_page(
    rows: QuerySet,
    column: str,
    params,
    *,
    size: int,
    count: int,
    base_query: str,
) -> ListPage:
    """The page of ``rows`` (ordered by ``column`` then id) that the URL's cursor asks for.

    ``params`` is the query string: ``after`` or ``before`` a cursor, or
    ``last``; ``page`` is the number to show. ``count`` is the length of the
    whole list, which the caller knows from a count it keeps cheaply. A bare
    ``page`` (an older link) is served by number.
    """
    pages = max(ceil(count / size), 1)
    number = _page_number(params.get("page"), pages)
    # A page may take two queries; what they prefetch is fetched once for both.
    lookups, rows = rows._prefetch_related_lookups, rows.prefetch_related(None)
    after, before = Cursor.decode(params.get("after")), Cursor.decode(params.get("before"))
    if params.get("last"):
        found = _backward(rows, column, None, count - (pages - 1) * size or size)
        number = pages
    elif before is not None:
        found = _backward(rows, column, before, size + 1)
        if len(found) <= size:  # nothing before these: the first page after all
            number = 1
        found = found[-size:]
    elif after is not None:
        found = _forward(rows, column, after, size)
    elif number > 1:
        ordered = rows.order_by(F(column).asc(nulls_last=True), "id")
        found = list(ordered[(number - 1) * size : number * size])
    else:
        found = _forward(rows, column, None, size)
    prefetch_related_objects(found, *lookups)
    page = ListPage(found, number, count, size, base_query)
    if found and number > 1:
        first = Cursor(getattr(found[0], column), found[0].pk)
        page.previous_params = {"before": first.encode(), "page": number - 1} if number > 2 else {}
    if found and number < pages:
        last = Cursor(getattr(found[-1], column), found[-1].pk)
        page.next_params = {"after": last.encode(), "page": number + 1}
        page.last_params = {"last": 1, "page": pages}
    return page


def number_page(rows: QuerySet, params, *, size: int, count: int, base_query: str) -> ListPage:
    """A page by its number, for lists no index orders (sorted by vehicle name, say)."""
    pages = max(ceil(count / size), 1)
    number = _page_number(params.get("page"), pages)
    page = ListPage(
        list(rows[(number - 1) * size : number * size]), number, count, size, base_query
    )
    if number > 1:
        page.previous_params = {"page": number - 1} if number > 2 else {}
    if number < pages:
        page.next_params = {"page": number + 1}
        page.last_params = {"page": pages}
    return page


def _page_number(raw: object, pages: int) -> int:
    text = str(raw or "").strip()
    return min(int(text), pages) if text.isdecimal() and 0 < len(text) <= 9 and int(text) else 1
