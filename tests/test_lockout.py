"""Guessing is slowed down: sign-in per account and per address, API keys per address.

Time moves with time-machine; the limits are the ones ``attempts.services``
documents (5 per account, 20 per address, within 15 minutes; 15 minutes' lock).
"""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from fleetmaint.attempts import services as attempts
from fleetmaint.attempts.models import FailedAttempts
from tests.notifications.conftest import smtp  # noqa: F401  (the real SMTP receiver)

WRONG_KEY = "fm_" + "x" * 43  # shaped like a key, but no key


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _sign_in(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(admin_user, clock):
    client = _from("203.0.113.7")
    for _ in range(4):
        assert _sign_in(client, "alice", "wrong").status_code == 200
    fifth = _sign_in(client, "alice", "wrong")
    assert fifth.status_code == 429
    assert "Too many failed sign-ins for this account. Try again in 15 minutes." in (
        fifth.content.decode()
    )
    assert fifth["Retry-After"] == "900"

    right = _sign_in(client, "alice", "pw")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_ends_after_fifteen_minutes(admin_user, clock):
    client = _from("203.0.113.7")
    for _ in range(5):
        _sign_in(client, "alice", "wrong")
    clock.shift(timedelta(minutes=14))
    still = _sign_in(client, "alice", "pw")
    assert "Try again in 1 minute." in still.content.decode()
    clock.shift(timedelta(minutes=1, seconds=1))
    assert _sign_in(client, "alice", "pw").status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_the_account_lock_holds_from_every_address(admin_user, clock):
    for number in range(5):
        _sign_in(_from(f"203.0.113.{number}"), "alice", "wrong")
    assert _sign_in(_from("198.51.100.1"), "alice", "pw").status_code == 429


def test_failures_spread_over_more_than_the_window_never_lock(admin_user, clock):
    client = _from("203.0.113.7")
    for _ in range(3):
        for _ in range(4):
            _sign_in(client, "alice", "wrong")
        clock.shift(timedelta(minutes=16))
    assert _sign_in(client, "alice", "pw").status_code == 302


def test_a_successful_sign_in_clears_the_accounts_count(admin_user, clock):
    client = _from("203.0.113.7")
    for _ in range(4):
        _sign_in(client, "alice", "wrong")
    assert _sign_in(client, "alice", "pw").status_code == 302
    client.logout()
    for _ in range(4):
        _sign_in(client, "alice", "wrong")
    assert _sign_in(client, "alice", "pw").status_code == 302


def test_unknown_usernames_count_the_same_as_known_ones(admin_user, clock):
    client = _from("203.0.113.7")
    answers = [_sign_in(client, "nobody-here", "wrong").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]


def test_one_address_trying_many_accounts_is_locked_out(admin_user, advisor, clock):
    guesser = _from("203.0.113.66")
    for number in range(20):
        _sign_in(guesser, f"user{number}", "wrong")
    locked = _sign_in(guesser, "bob", "pw")
    assert locked.status_code == 429
    assert "Too many failed sign-ins from your address." in locked.content.decode()
    # Others are not affected.
    assert _sign_in(_from("198.51.100.1"), "bob", "pw").status_code == 302


def test_the_django_admin_sign_in_has_the_same_limits(admin_user, clock):
    admin_user.is_staff = True
    admin_user.save()
    client = _from("203.0.113.7")
    for _ in range(5):
        client.post("/admin/login/", {"username": "alice", "password": "wrong"})
    page = client.post("/admin/login/?next=/admin/", {"username": "alice", "password": "pw"})
    assert "Too many failed sign-ins for this account." in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_address_behind_trusted_proxies_is_the_one_they_saw(settings, rf):
    settings.FORWARDED_FOR_PROXIES = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5", REMOTE_ADDR="10.0.0.1")
    assert attempts.client_address(request) == "203.0.113.5"
    settings.FORWARDED_FOR_PROXIES = 0
    assert attempts.client_address(request) == "10.0.0.1"


# --- API keys, per address ----------------------------------------------------------------


def _api(address: str, key: str) -> Client:
    return Client(REMOTE_ADDR=address, headers={"Authorization": f"Bearer {key}"})


def test_twenty_wrong_api_keys_lock_the_address(api_key, clock):
    guesser = _api("203.0.113.9", WRONG_KEY)
    answers = [guesser.get("/api/v1/vehicles").status_code for _ in range(20)]
    assert answers == [401] * 19 + [429]

    right = _api("203.0.113.9", api_key).get("/api/v1/vehicles")
    assert right.status_code == 429
    assert right.json() == {
        "code": "too_many_attempts",
        "message": "Too many wrong API keys from your address. Try again in 15 minutes.",
        "field": None,
    }
    assert right["Retry-After"] == "900"
    assert _api("198.51.100.2", api_key).get("/api/v1/vehicles").status_code == 200

    clock.shift(timedelta(minutes=15, seconds=1))
    assert _api("203.0.113.9", api_key).get("/api/v1/vehicles").status_code == 200


def test_a_request_without_a_key_is_not_counted(db, clock):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(25):
        assert client.get("/api/v1/vehicles").status_code == 401
    assert FailedAttempts.objects.count() == 0


def test_wrong_hashes_on_the_vendor_endpoints_count_and_answer_in_the_vendors_words(api_key, clock):
    client = Client(REMOTE_ADDR="203.0.113.10")

    def vehicles(key: str):
        return client.post(f"/v2/vehicle/list?hash={key}", "{}", content_type="application/json")

    answers = [vehicles(WRONG_KEY) for _ in range(20)]
    assert [a.json()["status"]["code"] for a in answers] == [4] * 19 + [15]
    locked = vehicles(api_key)
    assert locked.status_code == 429
    assert locked.json() == {
        "success": False,
        "status": {
            "code": 15,
            "description": "Too many requests: Too many wrong API keys from your address. "
            "Try again in 15 minutes.",
        },
    }


def test_seed_003_and_servicer_endpoints_share_the_address_count(api_key, clock):
    voyo = Client(REMOTE_ADDR="203.0.113.11", headers={"Authorization": f"Bearer {WRONG_KEY}"})
    for _ in range(10):
        assert voyo.post("/voyorequest/GetAllServiceIntervals").status_code == 401
    servicer = Client(REMOTE_ADDR="203.0.113.11", headers={"Authorization": f"Bearer {WRONG_KEY}"})
    answers = [
        servicer.post("/service-orders/1/update-repair", "{}", content_type="application/json")
        for _ in range(10)
    ]
    assert [a.status_code for a in answers] == [401] * 9 + [429]
    assert answers[-1].json()["code"] == "too_many_attempts"
    good = Client(REMOTE_ADDR="203.0.113.11", headers={"Authorization": f"Bearer {api_key}"})
    refused = good.post("/voyorequest/GetAllServiceIntervals")
    assert refused.status_code == 429
    assert "Try again in 15 minutes" in refused.json()["error"]


def test_old_counts_are_forgotten(admin_user, clock):
    _sign_in(_from("203.0.113.7"), "alice", "wrong")
    assert FailedAttempts.objects.count() == 2
    clock.shift(timedelta(days=1, minutes=1))
    assert attempts.forget_old() == 2
    assert FailedAttempts.objects.count() == 0


# --- password reset e-mails ---------------------------------------------------------------


def test_reset_emails_to_one_address_stop_after_three_an_hour_without_saying_so(
    advisor,
    smtp,  # noqa: F811
    clock,
):
    answers = [
        Client(REMOTE_ADDR=f"203.0.113.{n}").post("/password-reset/", {"email": "bob@example.com"})
        for n in range(5)
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/password-reset/sent/")}
    assert len(smtp.received) == 3
    clock.shift(timedelta(hours=1, seconds=1))
    Client(REMOTE_ADDR="203.0.113.9").post("/password-reset/", {"email": "bob@example.com"})
    assert len(smtp.received) == 4


def test_one_address_asking_for_many_resets_is_refused_after_five_an_hour(
    advisor,
    smtp,  # noqa: F811
    clock,
):
    asker = Client(REMOTE_ADDR="203.0.113.50")
    answers = [
        asker.post("/password-reset/", {"email": f"person{n}@example.com"}).status_code
        for n in range(5)
    ]
    assert answers == [302] * 5
    refused = asker.post("/password-reset/", {"email": "bob@example.com"})
    assert refused.status_code == 429
    assert "Too many password reset requests from your address." in refused.content.decode()
    assert smtp.received == []
