"""The few SQL spellings that differ between PostgreSQL and SQLite.

Set-based statements (sweeps, re-evaluation, the outbox) are written once as
SQL text; these helpers return the fragments whose spelling depends on the
database. PostgreSQL gets inline expressions it can plan; SQLite, the
zero-setup default, gets small Python functions registered on each connection
for what it cannot say itself (time zones, grouped thousands).
"""

import functools
import json
import re
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection
from django.db.backends.signals import connection_created


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def run(sql: str, params: dict | None = None) -> list[tuple]:
    """Executes one statement; returns its rows when it has any (RETURNING, SELECT)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, _adapted(params))
        return cursor.fetchall() if cursor.description else []


def moment(value: object) -> datetime | None:
    """A moment read by ``run``, as an aware datetime: PostgreSQL gives one already;
    SQLite gives UTC as text, or as a naive datetime where a column's type survives."""
    return _moment(value)


def run_count(sql: str, params: dict | None = None) -> int:
    """Executes one statement; returns how many rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, _adapted(params))
        return cursor.rowcount


def _adapted(params: dict | None) -> dict:
    """Moments stored the way the ORM stores them (SQLite keeps naive UTC text)."""
    if on_postgres():
        return params or {}
    adapt = connection.ops.adapt_datetimefield_value
    return {
        name: adapt(value) if isinstance(value, datetime) else value
        for name, value in (params or {}).items()
    }


# --- parameters ---------------------------------------------------------------------


def in_ids(column: str, param: str) -> str:
    """``column`` is one of the ids passed as ``ids_param(...)`` under the name ``param``."""
    if on_postgres():
        return f"{column} = ANY(CAST(%({param})s AS bigint[]))"
    return f"{column} IN (SELECT value FROM json_each(%({param})s))"


def ids_param(ids: Iterable[int]) -> str:
    """Ids as one text value: an array literal, or a JSON list for SQLite.

    One string, joined in C, instead of the driver adapting ten thousand
    integers one by one.
    """
    values = ",".join(str(int(i)) for i in ids)
    return f"{{{values}}}" if on_postgres() else f"[{values}]"


def returning(alias: str, *columns: str) -> str:
    """RETURNING columns of the updated table, ``id`` when none are named (SQLite names
    them without the alias)."""
    prefix = f"{alias}." if on_postgres() else ""
    return "RETURNING " + ", ".join(f"{prefix}{column}" for column in columns or ("id",))


# --- values -------------------------------------------------------------------------


def greatest(*expressions: str) -> str:
    name = "GREATEST" if on_postgres() else "max"
    return f"{name}({', '.join(expressions)})"


def thousands(expression: str, places: int = 0) -> str:
    """A number as Python's ``f"{n:,}"`` writes it: 12,345 or 1,234.5."""
    if on_postgres():
        decimals = "." + "0" * places if places else ""
        return f"to_char({expression}, 'FM999,999,999,999,990{decimals}')"
    return f"fm_thousands({expression}, {places})"


def local_date(expression: str, zone: str) -> str:
    """The calendar day of a UTC moment in the time zone ``zone`` (an SQL expression)."""
    if on_postgres():
        return f"(({expression}) AT TIME ZONE {zone})::date"
    return f"fm_local_date({expression}, {zone})"


def date_text(expression: str) -> str:
    """A date as YYYY-MM-DD."""
    if on_postgres():
        return f"to_char({expression}, 'YYYY-MM-DD')"
    return f"({expression})"


def iso_moment(expression: str) -> str:
    """A UTC moment as Python's ``isoformat()`` writes it (microseconds only when present)."""
    if on_postgres():
        utc = f"(({expression}) AT TIME ZONE 'UTC')"
        return (
            f"CASE WHEN {expression} IS NULL THEN NULL ELSE "
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"CASE WHEN date_part('microseconds', {utc})::int %% 1000000 = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || '+00:00' END"
        )
    return f"fm_iso_moment({expression})"


def json_moment_text(moment: datetime | None) -> str | None:
    """A moment as the JSON API writes it (Django's encoder): ISO 8601 to the
    millisecond (truncated) when it has a fraction, ``Z`` for UTC."""
    if moment is None:
        return None
    text = moment.isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def json_moment(expression: str) -> str:
    """``json_moment_text`` of a stored moment (UTC), in SQL: a long list reads its
    moments as text instead of parsing each into a datetime to write it out again."""
    if on_postgres():
        utc = f"(({expression}) AT TIME ZONE 'UTC')"
        return (
            f"CASE WHEN {expression} IS NULL THEN NULL ELSE "
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"CASE WHEN date_part('microseconds', {utc})::int %% 1000000 = 0 THEN '' "
            f"ELSE to_char({utc}, '.MS') END || 'Z' END"
        )
    return f"fm_json_moment({expression})"


def local_time_text(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> str | None:
    """A moment as the wall-clock time in ``zone``, 'YYYY-MM-DD HH:MM:SS' (the vendor
    lists' format)."""
    if moment is None:
        return None
    local = moment.astimezone(zone)
    if local.year >= 1000:
        # isoformat is the faster spelling of the same text, for lists of thousands.
        return local.isoformat(" ", "seconds")[:19]
    return local.strftime("%Y-%m-%d %H:%M:%S")


def local_time(expression: str) -> tuple[str, int]:
    """``local_time_text`` in SQL: the text and how many time-zone parameters it takes.

    FMYYYY writes the year without leading zeros, as strftime's %Y does.
    """
    if on_postgres():
        local = f"(({expression}) AT TIME ZONE %s)"
        return f"to_char({local}, 'FMYYYY') || to_char({local}, '-MM-DD HH24:MI:SS')", 2
    return f"fm_local_time({expression}, %s)", 1


# --- JSON ---------------------------------------------------------------------------


def json_object(*pairs: tuple[str, str]) -> str:
    """A JSON object from (key, SQL expression) pairs."""
    name = "jsonb_build_object" if on_postgres() else "json_object"
    members = ", ".join(f"'{key}', {value}" for key, value in pairs)
    return f"{name}({members})"


def json_array(*items: str) -> str:
    name = "jsonb_build_array" if on_postgres() else "json_array"
    return f"{name}({', '.join(items)})"


def json_array_present(*items: str) -> str:
    """A JSON array of the items that are not NULL, in order (optional facts)."""
    if on_postgres():
        return f"jsonb_path_query_array({json_array(*items)}, 'strict $[*] ? (@ != null)')"
    return (
        "(SELECT json_group_array(json(value)) FROM (SELECT value FROM "
        f"json_each({json_array(*items)}) WHERE type <> 'null' ORDER BY key))"
    )


def json_column(expression: str) -> str:
    """A stored JSON column, embedded as JSON (SQLite keeps JSON as text)."""
    return expression if on_postgres() else f"json({expression})"


def json_bool(expression: str) -> str:
    if on_postgres():
        return f"to_jsonb({expression})"
    return f"CASE WHEN {expression} THEN json('true') ELSE json('false') END"


def json_flag(column: str, key: str) -> str:
    """A true/false member of a JSON object, false when missing."""
    if on_postgres():
        return f"COALESCE(({column} ->> '{key}')::boolean, false)"
    return f"COALESCE(json_extract({column}, '$.{key}'), 0) = 1"


def json_member(column: str, key_expression: str) -> str:
    """The member of a JSON object named by an SQL expression, as JSON."""
    if on_postgres():
        return f"({column} -> {key_expression})"
    return f"json_extract({column}, '$.\"' || {key_expression} || '\"')"


def json_list_has(list_expression: str, value_expression: str) -> str:
    if on_postgres():
        return f"jsonb_exists({list_expression}, {value_expression})"
    return f"EXISTS (SELECT 1 FROM json_each({list_expression}) WHERE value = {value_expression})"


def json_list_empty(list_expression: str) -> str:
    name = "jsonb_array_length" if on_postgres() else "json_array_length"
    return f"{name}({list_expression}) = 0"


def json_items(column: str, key: str, alias: str) -> str:
    """A FROM item listing the text items of the list ``column.key`` as ``alias.value``."""
    if on_postgres():
        return f"jsonb_array_elements_text({column} -> '{key}') AS {alias}(value)"
    return f"json_each({column}, '$.{key}') AS {alias}"


def json_literal(value: object) -> str:
    text = json.dumps(value).replace("'", "''")
    return f"'{text}'::jsonb" if on_postgres() else f"json('{text}')"


def choice_label(expression: str, choices: Iterable[tuple[str, str]], *, lower=False) -> str:
    """The display label of a ``choices`` value, as ``get_FOO_display()`` gives it."""
    whens = " ".join(
        "WHEN '{}' THEN '{}'".format(value, (label.lower() if lower else label).replace("'", "''"))
        for value, label in choices
    )
    return f"CASE {expression} {whens} ELSE {expression} END"


# --- SQLite's missing pieces ----------------------------------------------------------


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _fm_thousands(value: object, places: int) -> str | None:
    if value is None:
        return None
    return f"{Decimal(str(value)):,.{places}f}"


def _fm_local_date(value: object, zone: str) -> str | None:
    moment = _moment(value)
    if moment is None:
        return None
    local: date = moment.astimezone(zoneinfo.ZoneInfo(zone)).date()
    return local.isoformat()


def _fm_json_moment(value: object) -> str | None:
    return json_moment_text(_moment(value))


def _fm_local_time(value: object, zone: str) -> str | None:
    return local_time_text(_moment(value), zoneinfo.ZoneInfo(zone))


def _fm_iso_moment(value: object) -> str | None:
    moment = _moment(value)
    return moment.astimezone(UTC).isoformat() if moment else None


@functools.lru_cache(maxsize=256)
def _like_pattern(pattern: str, escape: str) -> re.Pattern:
    parts, chars = [], iter(pattern)
    for char in chars:
        if char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _like(pattern: str | None, value: object, escape: str = "") -> bool | None:
    """SQL ``LIKE`` with case folded for every alphabet, not only for ASCII.

    SQLite's own ``LIKE`` ignores case for A-Z alone, so a search for "tüv"
    would miss "TÜV". Django already reads ``LIKE`` as case-insensitive on
    SQLite; this keeps that meaning for all letters.
    """
    if pattern is None or value is None:
        return None
    return _like_pattern(pattern, escape).fullmatch(str(value)) is not None


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("like", 2, _like, deterministic=True)
    raw.create_function("like", 3, _like, deterministic=True)
    raw.create_function("fm_thousands", 2, _fm_thousands, deterministic=True)
    raw.create_function("fm_local_date", 2, _fm_local_date, deterministic=True)
    raw.create_function("fm_iso_moment", 1, _fm_iso_moment, deterministic=True)
    raw.create_function("fm_json_moment", 1, _fm_json_moment, deterministic=True)
    raw.create_function("fm_local_time", 2, _fm_local_time, deterministic=True)


connection_created.connect(register_sqlite_functions, dispatch_uid="fleetmaint-sqlite-functions")
