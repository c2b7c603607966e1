"""The outbox written set-based: events from an SQL source, their messages from the events.

A capability that finds crossings in SQL adds the rows it moved to a
``Notices``, with the SELECT that yields one notice per row; the events are
inserted in one statement (the unique dedupe key drops what was already told,
also by a concurrent sweep) and ``messages_insert`` writes every message of
the batch in one more:
one per recipient and channel, by the people's preferences, the event's own
addresses and the fleet's webhook endpoints. ``notify_many`` writes its
Python-built events and then uses the same ``messages_insert``, so who hears
of an event is decided in exactly one place.

Each event keeps its ``audience``: ``advisors`` (the fleet's admins and
advisors), ``users`` (ids), ``emails``, ``phones``, ``push`` and ``webhooks``.
"""

import uuid
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from fleetmaint import sql
from fleetmaint.notifications.delivery import enqueue_delivery
from fleetmaint.notifications.models import DEFAULT_USER_CHANNELS, Channel

# The columns an event source must yield, in this order.
EVENT_COLUMNS = ("org_id", "name", "dedupe_key", "subject", "text", "link", "payload", "audience")


def new_batch() -> uuid.UUID:
    return uuid.uuid4()


class Notices:
    """What one transaction's moves have to tell, written to the outbox together at its end.

    Each move adds the ids it moved and the SELECT that turns them into notices
    (``EVENT_COLUMNS``); ``write`` inserts the events of every move in one
    statement and their messages in one more. A sweep that moves tasks,
    intervals and contracts so costs the same statements however much moved
    (and two fewer when nothing did).
    """

    def __init__(self) -> None:
        self._sources: list[str] = []
        self._params: dict = {}
        self.count = 0

    def add(self, notices_of: Callable[[str], str], ids: Iterable[int]) -> int:
        """Adds moved rows; ``notices_of(name)`` selects the notices of the ids in ``%(name)s``."""
        ids = list(ids)
        name = f"moved_{len(self._sources)}"
        self._sources.append(notices_of(name))
        self._params[name] = sql.ids_param(ids)
        self.count += len(ids)
        return len(ids)

    def write(self) -> None:
        """Writes the events and messages of everything added; nothing when nothing moved."""
        if not self.count:
            return
        batch = new_batch()
        events_insert(" UNION ALL ".join(self._sources), self._params, batch=batch)
        messages_insert(batch)


def events_insert(source: str, params: dict, *, batch: uuid.UUID) -> None:
    """Inserts the events ``source`` yields, skipping dedupe keys already told."""
    columns = ", ".join(EVENT_COLUMNS)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join's ON.
    sql.run(
        f"INSERT INTO notifications_event ({columns}, batch, created_at) "
        "SELECT org_id, name, substr(dedupe_key, 1, 200), substr(subject, 1, 200), text, "
        f"link, payload, audience, %(batch)s, %(created_at)s FROM ({source}) AS notice "
        "WHERE true ON CONFLICT (org_id, dedupe_key) DO NOTHING",
        {**params, "batch": _uuid_param(batch), "created_at": timezone.now()},
    )


def audience(*, emails: str = "", phones: str = "", push: str = "1 = 1") -> str:
    """An event's audience as SQL: the fleet's advisors, its webhooks, and any own addresses.

    ``emails`` and ``phones`` are SQL expressions of JSON lists, ``push`` a condition.
    """
    return sql.json_object(
        ("advisors", sql.json_bool("1 = 1")),
        ("users", sql.json_literal([])),
        ("emails", emails or sql.json_literal([])),
        ("phones", phones or sql.json_literal([])),
        ("push", sql.json_bool(push)),
        ("webhooks", sql.json_bool("1 = 1")),
    )


def _plan_checks_afresh() -> None:
    """Drops this connection's cached plans before a large write of messages.

    PostgreSQL checks each message's foreign key to its event with a plan it
    caches per connection. A plan made while the events table was small is a
    sequential scan, and it would be reused for every message of a large batch
    (40,000 scans of a growing table at commit). Discarding it lets the check
    be planned for the table as it is, an index lookup. The checks are deferred
    to the commit, so the events are all in by the time the plan is made.
    """
    if sql.on_postgres():
        sql.run("DISCARD PLANS")


def _uuid_param(batch: uuid.UUID) -> object:
    return batch if sql.on_postgres() else batch.hex


def _user_sources() -> str:
    """Each event with each person it is for: the advisors if asked, and named users."""
    advisors = (
        "SELECT e.id AS event_id, m.user_id FROM notifications_event e "
        "JOIN accounts_membership m ON m.org_id = e.org_id AND m.role IN ('admin', 'advisor') "
        f"WHERE e.batch = %(batch)s AND {sql.json_flag('e.audience', 'advisors')}"
    )
    named = (
        "SELECT e.id AS event_id, CAST(named.value AS INTEGER) AS user_id "
        f"FROM notifications_event e, {sql.json_items('e.audience', 'users', 'named')} "
        "WHERE e.batch = %(batch)s"
    )
    return f"{advisors} UNION {named}"


def _recipient_rows() -> str:
    """Every (event, channel, address) wanted, with a rank where two give the same address."""
    default = sql.json_literal([str(c) for c in DEFAULT_USER_CHANNELS])
    channels = f"COALESCE({sql.json_member('p.channels', 'e.name')}, {default})"

    def wants(channel: str) -> str:
        return sql.json_list_has(channels, f"'{channel}'")

    people = (
        "FROM notifications_event e "
        f"JOIN ({_user_sources()}) AS r ON r.event_id = e.id "
        "JOIN auth_user u ON u.id = r.user_id "
        "LEFT JOIN notifications_preference p ON p.user_id = u.id "
        "WHERE e.batch = %(batch)s"
    )
    person = "e.org_id, e.id AS event_id, {channel} AS channel, {address} AS address, " + (
        "u.id AS user_id, CAST(NULL AS INTEGER) AS endpoint_id, 1 AS rank, u.id AS tiebreak"
    )
    own = (
        "SELECT e.org_id, e.id, '{channel}', {address}, NULL, NULL, 2, 0 "
        "FROM notifications_event e, {items} WHERE e.batch = %(batch)s"
    )
    email = person.format(channel=f"'{Channel.EMAIL}'", address="lower(u.email)")
    sms = person.format(channel=f"'{Channel.SMS}'", address="p.phone")
    push = person.format(channel=f"'{Channel.PUSH}'", address="'user:' || u.id")
    rows = [
        f"SELECT {email} {people} AND u.email <> '' AND {wants(Channel.EMAIL)}",
        f"SELECT {sms} {people} AND p.phone <> '' AND {wants(Channel.SMS)}",
        f"SELECT {push} {people} AND {sql.json_flag('e.audience', 'push')} "
        f"AND {wants(Channel.PUSH)}",
        own.format(
            channel=Channel.EMAIL,
            address="lower(trim(x.value))",
            items=sql.json_items("e.audience", "emails", "x"),
        ),
        own.format(
            channel=Channel.SMS,
            address="x.value",
            items=sql.json_items("e.audience", "phones", "x"),
        ),
        "SELECT e.org_id, e.id, 'webhook', 'endpoint:' || w.id, NULL, w.id, 3, 0 "
        "FROM notifications_event e JOIN notifications_webhookendpoint w "
        "ON w.org_id = e.org_id AND w.active "
        f"WHERE e.batch = %(batch)s AND {sql.json_flag('e.audience', 'webhooks')} "
        f"AND ({sql.json_list_empty('w.events')} OR {sql.json_list_has('w.events', 'e.name')})",
    ]
    return " UNION ALL ".join(rows)


def messages_insert(batch: uuid.UUID) -> None:
    """Writes the messages of every event in ``batch`` and queues their delivery on commit.

    Where two recipients give the same address on a channel (a user's e-mail
    also listed by hand), the person comes first, as the lowest user id.
    """
    _plan_checks_afresh()
    sql.run(
        "INSERT INTO notifications_message (org_id, event_id, channel, address, user_id, "
        "endpoint_id, status, attempts, next_attempt_at, last_error, created_at) "
        "SELECT org_id, event_id, channel, address, user_id, endpoint_id, 'pending', 0, "
        "%(now)s, '', %(now)s FROM (SELECT wanted.*, ROW_NUMBER() OVER (PARTITION BY "
        "event_id, channel, address ORDER BY rank, tiebreak) AS nth "
        f"FROM ({_recipient_rows()}) AS wanted) AS chosen "
        "WHERE nth = 1 AND address <> '' ON CONFLICT DO NOTHING",
        {"batch": _uuid_param(batch), "now": timezone.now()},
    )
    transaction.on_commit(enqueue_delivery)
