"""Fixed personas, a still clock and a private media folder, shared across the suite.

``org`` is the fleet under test with an admin, an advisor and a viewer;
``other_org`` is another fleet whose rows must never leak. ``clock`` holds time
at ``NOW`` until a test moves it; a module that needs another moment defines
its own ``clock`` beside its own ``NOW``.
"""

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.accounts.models import Organization, Role
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW


@pytest.fixture
def clock():
    """Time stands still at NOW; ``clock.shift(...)`` and ``clock.move_to(...)`` move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded and generated files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _user(username: str) -> User:
    return User.objects.create_user(
        username=username, email=f"{username}@example.com", password="pw"
    )


@pytest.fixture
def org(db) -> Organization:
    return accounts.org_create(name="Acme Logistics", time_zone="Europe/Berlin", currency="EUR")


@pytest.fixture
def other_org(db) -> Organization:
    return accounts.org_create(name="Other Fleet", distance_unit="mi", currency="USD")


@pytest.fixture
def admin_user(org) -> User:
    user = _user("alice")
    accounts.membership_set(org=org, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def advisor(org) -> User:
    user = _user("bob")
    accounts.membership_set(org=org, user=user, role=Role.ADVISOR)
    return user


@pytest.fixture
def viewer(org) -> User:
    user = _user("victor")
    accounts.membership_set(org=org, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def outsider(other_org) -> User:
    user = _user("oscar")
    accounts.membership_set(org=other_org, user=user, role=Role.ADMIN)
    return user


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:
    return _client_for(admin_user)


@pytest.fixture
def advisor_client(advisor) -> Client:
    return _client_for(advisor)


@pytest.fixture
def viewer_client(viewer) -> Client:
    return _client_for(viewer)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client_for(outsider)


@pytest.fixture
def vehicle(org) -> Vehicle:
    return vehicles.vehicle_create(org=org, label="Van 1", vehicle_key="VAN-1", make="Ford")


@pytest.fixture
def api_key(org) -> str:
    _, raw = accounts.apikey_create(org=org, name="integration")
    return raw


@pytest.fixture
def api(api_key) -> Client:
    """A client that sends the organization's API key with every request."""
    return Client(headers={"Authorization": f"Bearer {api_key}"})


@pytest.fixture
def other_api(other_org) -> Client:
    _, raw = accounts.apikey_create(org=other_org, name="other")
    return Client(headers={"Authorization": f"Bearer {raw}"})
