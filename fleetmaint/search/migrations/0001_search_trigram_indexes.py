"""Trigram indexes for the search in the header (PostgreSQL).

The search looks for the typed text anywhere in a vehicle's label, plate, VIN
and key (one index over all four since migration 0002), a contract's number and provider, an order's status note and its
items' names (``UPPER(column::text) LIKE UPPER('%text%')``, as Django writes
``icontains``). The tasks' description and comment have theirs already
(tasks migration 0005, which also creates pg_trgm). Where pg_trgm is missing
the search still works, reading the tables, and the migration says so.
SQLite has no such indexes.
"""

import logging

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger(__name__)

# index name: (table, column)
INDEXES = {
    "vehicle_label_trgm_idx": ("vehicles_vehicle", "label"),
    "vehicle_plate_trgm_idx": ("vehicles_vehicle", "plate"),
    "vehicle_vin_trgm_idx": ("vehicles_vehicle", "vin"),
    "vehicle_key_trgm_idx": ("vehicles_vehicle", "vehicle_key"),
    "contract_number_trgm_idx": ("contracts_vehiclecontract", "number"),
    "contract_provider_trgm_idx": ("contracts_vehiclecontract", "provider"),
    "order_reason_trgm_idx": ("orders_serviceorder", "status_reason"),
    "order_item_name_trgm_idx": ("orders_orderitem", "name"),
}


def _has_pg_trgm(schema_editor) -> bool:
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        log.warning("pg_trgm is not available (%s): the search reads the tables.", error)
        return False
    return True


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql" or not _has_pg_trgm(schema_editor):
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_task_search_trigram_indexes"),
        ("vehicles", "0008_powertrain_and_reading_void"),
        ("orders", "0005_event_date_received"),
        ("contracts", "0004_contract_told_expiring_index"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
