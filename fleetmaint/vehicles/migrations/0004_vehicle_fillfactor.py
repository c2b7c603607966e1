"""Leaves room on each page of vehicles for the next version of its rows.

Every reading rewrites its vehicle's meters and daily usage, none of them
indexed: with free space on the page PostgreSQL updates the row in place
(a heap-only update) instead of adding an entry to each of the table's
indexes. SQLite has no such setting.
"""

from django.db import migrations

FILLFACTOR = 80


def set_fillfactor(apps, schema_editor, value: int = FILLFACTOR) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE vehicles_vehicle SET (fillfactor = {value})")


def reset_fillfactor(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE vehicles_vehicle RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("vehicles", "0003_alter_reading_source")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
