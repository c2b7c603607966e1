"""``?changed_since=<cursor>`` on the lists: the rows changed after the cursor, for syncing.

A list given ``changed_since`` answers the rows of the same list (its filters
hold) whose change time comes after the cursor, oldest change first, ordered by
(change time, id), at most ``limit`` of them, and ``next_cursor`` to send next
time. ``changed_since=0`` starts from the beginning. The cursor is opaque to
clients: base64 of the change time and the id of the last row read. A cursor
that does not decode is 400 naming ``changed_since``.

Rows changed in the last few seconds (``SETTLE``) are left for the next call:
a change's time is taken before its transaction commits, so a row stamped a
moment earlier may still become visible after a later one has been read.
Deleted rows are not reported.

Each list keeps its own item builder; this module finds the page's ids and
the cursor, in a fixed number of statements whatever the page's length.
"""

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import Combinable
from django.http import HttpResponse
from django.utils import timezone

from fleetmaint.api.common import rows_response
from fleetmaint.errors import ValidationFailed

PARAMETER = "changed_since"
START = "0"
SETTLE = timedelta(seconds=5)
# ``count`` counts the changes left up to this many: a first sync of a million
# tasks would otherwise count them all again on every page.
COUNT_CAP = 10_000
_VERSION = "1"
_MOMENT = "sync_moment"

HELP = (
    "Only the rows changed after this cursor, oldest change first; `next_cursor` in the "
    "answer is the cursor for the next call. `0` starts from the beginning. Deleted rows "
    "are not reported; `offset` is ignored."
)

ItemsOf = Callable[[QuerySet], list[dict]]


def encode(moment: datetime, pk: int) -> str:
    """The cursor after the row changed at ``moment`` with id ``pk``."""
    text = f"{_VERSION}|{moment.astimezone(UTC).isoformat()}|{pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int] | None:
    """The (change time, id) a cursor holds, None for ``0``; ValidationFailed otherwise."""
    if cursor == START:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        version, moment_text, pk_text = (
            base64.urlsafe_b64decode(padded.encode("ascii")).decode().split("|")
        )
        moment = datetime.fromisoformat(moment_text)
        pk = int(pk_text)
        if version != _VERSION or moment.tzinfo is None or pk < 0:
            raise ValueError(cursor)
    except (ValueError, UnicodeError, binascii.Error):
        raise ValidationFailed(
            f"{PARAMETER} is not a cursor this API gave; send a next_cursor from an answer, "
            f"or {START} to start from the beginning.",
            field=PARAMETER,
        ) from None
    return moment, pk


def changed_page(
    rows: QuerySet[Model],
    cursor: str,
    *,
    moment: str | Combinable,
    limit: int,
    items_of: ItemsOf,
) -> HttpResponse:
    """The list answer of ``rows`` changed after ``cursor`` (``moment`` their change time).

    ``items_of`` builds the list's items from a queryset of the page's rows; they
    are put back in change order by their ``id``. Three statements and the item
    builder's: the page's ids, the items, the count of changes after the cursor
    (up to ``COUNT_CAP``; only when the page is full).
    """
    after = decode(cursor)
    changed = rows.annotate(**{_MOMENT: F(moment) if isinstance(moment, str) else moment})
    changed = changed.filter(**{f"{_MOMENT}__lte": timezone.now() - SETTLE})
    if after is not None:
        at, pk = after
        changed = changed.filter(
            Q(**{f"{_MOMENT}__gte": at})
            & (Q(**{f"{_MOMENT}__gt": at}) | Q(**{_MOMENT: at, "pk__gt": pk}))
        )
    keys = list(changed.order_by(_MOMENT, "pk").values_list("pk", _MOMENT)[:limit])
    order = {pk: index for index, (pk, _) in enumerate(keys)}
    items = items_of(rows.filter(pk__in=order)) if keys else []
    items.sort(key=lambda item: order[item["id"]])
    next_cursor = encode(keys[-1][1], keys[-1][0]) if keys else cursor
    count = changed.order_by()[:COUNT_CAP].count() if len(keys) == limit else len(keys)
    return rows_response({"count": count, "items": items, "next_cursor": next_cursor})
