"""Existing organizations get distinct calendar tokens when the field arrives."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0003_organization_contract_warning_days_and_more")]
AFTER = [("accounts", "0004_organization_calendar_token")]


@pytest.mark.django_db(transaction=True)
def test_existing_organizations_get_distinct_tokens():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old_apps = executor.loader.project_state(BEFORE).apps
        Organization = old_apps.get_model("accounts", "Organization")
        for number in range(3):
            Organization.objects.create(name=f"Fleet {number}", slug=f"fleet-{number}")

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new_apps = executor.loader.project_state(AFTER).apps
        tokens = list(
            new_apps.get_model("accounts", "Organization").objects.values_list(
                "calendar_token", flat=True
            )
        )
        assert len(tokens) == 3
        assert len(set(tokens)) == 3
        assert all(len(token) >= 32 for token in tokens)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
