"""Trigram indexes for the Tasks page's search (PostgreSQL).

The search looks for the typed text anywhere in a task's description or
comment (``UPPER(column) LIKE UPPER('%text%')``, as Django writes
``icontains``); without an index that reads every task. pg_trgm is a trusted
extension, which a database owner may create. Where it cannot be created,
the search still works, reading the table, and the migration says so.
SQLite has no such indexes.
"""

import logging

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger(__name__)

INDEXES = {
    "task_description_trgm_idx": "description",
    "task_comment_trgm_idx": "comment",
}


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        log.warning("pg_trgm is not available (%s): the task search reads the table.", error)
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON tasks_servicetask "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0004_task_list_sort_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
