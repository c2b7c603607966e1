"""Idempotency-Key on the API's POSTs: a retry gets the first answer, and the work is done once."""

import hashlib
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.api.idempotency import SECRET_ANSWER
from fleetmaint.idempotency import services as idempotency
from fleetmaint.idempotency.models import StoredAnswer
from fleetmaint.orders.models import OrderStatus, ServiceType
from fleetmaint.vehicles.models import Reading, Vehicle
from tests.orders.api_support import bearer, make_order, make_servicer, servicer_key

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row-level concurrency"
)


def post(client: Client, url: str, body: object, key: str | None = "key-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == "Idempotency-Key"
    return body


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(api, org, clock):
    first = post(api, "/api/v1/vehicles", {"label": "Van 9"})
    again = post(api, "/api/v1/vehicles", {"label": "Van 9"})

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Vehicle.objects.filter(org=org, label="Van 9").count() == 1


def test_a_post_without_a_key_is_done_every_time(api, org):
    post(api, "/api/v1/vehicles", {"label": "Van 9"}, key=None)
    post(api, "/api/v1/vehicles", {"label": "Van 9"}, key=None)

    assert Vehicle.objects.filter(org=org, label="Van 9").count() == 2
    assert not StoredAnswer.objects.exists()


def test_the_same_key_with_another_body_is_a_conflict(api, org):
    post(api, "/api/v1/vehicles", {"label": "Van 9"})
    refused = post(api, "/api/v1/vehicles", {"label": "Van 10"})

    body = error_of(refused, 409)
    assert body["code"] == "conflict"
    assert body["message"] == "This Idempotency-Key was used with a different request body."
    assert list(Vehicle.objects.filter(org=org).values_list("label", flat=True)) == ["Van 9"]


def test_the_same_key_on_another_path_is_a_conflict(api, vehicle):
    post(api, "/api/v1/vehicles", {"label": "Van 9"})
    refused = post(api, f"/api/v1/vehicles/{vehicle.pk}/readings", {"label": "Van 9"})

    assert error_of(refused, 409)["code"] == "conflict"


def test_a_key_still_in_progress_is_a_conflict(api, org, api_key):
    # The first request with this key has claimed it and is still running.
    fingerprint = _fingerprint_of("/api/v1/vehicles", {"label": "V"})
    owner = accounts.apikey_authenticate(api_key)
    assert idempotency.claim(key="key-1", fingerprint=fingerprint, api_key=owner).outcome == "new"

    refused = post(api, "/api/v1/vehicles", {"label": "V"})

    body = error_of(refused, 409)
    assert "still in progress" in body["message"]
    assert not Vehicle.objects.filter(org=org).exists()


def _fingerprint_of(path: str, body: object) -> str:
    digest = hashlib.sha256(json.dumps(body).encode()).hexdigest()
    return idempotency.fingerprint("POST", path, digest)


def test_keys_are_per_api_key(api, org):
    _, other_raw = accounts.apikey_create(org=org, name="second")
    second = Client(headers={"Authorization": f"Bearer {other_raw}"})

    post(api, "/api/v1/vehicles", {"label": "Van 9"})
    again = post(second, "/api/v1/vehicles", {"label": "Van 9"})

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Vehicle.objects.filter(org=org, label="Van 9").count() == 2


def test_a_key_too_long_or_blank_is_refused(api, org):
    long = post(api, "/api/v1/vehicles", {"label": "Van 9"}, key="k" * 256)
    spaced = post(api, "/api/v1/vehicles", {"label": "Van 9"}, key="a b")

    assert error_of(long, 400)["code"] == "invalid"
    assert error_of(spaced, 400)["code"] == "invalid"
    assert post(api, "/api/v1/vehicles", {"label": "Van 9"}, key="k" * 255).status_code == 201
    assert Vehicle.objects.filter(org=org).count() == 1


def test_a_refusal_is_kept_like_an_answer(api, org):
    first = post(api, "/api/v1/vehicles", {"label": "A", "powertrain": "steam"})
    again = post(api, "/api/v1/vehicles", {"label": "A", "powertrain": "steam"})

    assert first.status_code == again.status_code == 400
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"


def test_a_key_is_forgotten_after_a_day(api, org, clock):
    post(api, "/api/v1/vehicles", {"label": "Van 9"})
    clock.shift(timedelta(hours=23, minutes=59))
    assert post(api, "/api/v1/vehicles", {"label": "Van 9"})["Idempotent-Replayed"] == "true"

    clock.shift(timedelta(minutes=1))
    later = post(api, "/api/v1/vehicles", {"label": "Van 9"})

    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert Vehicle.objects.filter(org=org, label="Van 9").count() == 2
    assert StoredAnswer.objects.count() == 1


def test_the_hourly_job_forgets_day_old_keys(api, clock):
    post(api, "/api/v1/vehicles", {"label": "Van 9"})
    assert idempotency.forget_old() == 0
    clock.shift(timedelta(hours=24))

    assert idempotency.forget_old() == 1
    assert not StoredAnswer.objects.exists()


def test_a_get_ignores_the_header(api, vehicle):
    response = api.get("/api/v1/vehicles", headers={"Idempotency-Key": "k" * 300})

    assert response.status_code == 200
    assert not StoredAnswer.objects.exists()


def test_a_wrong_api_key_is_refused_before_the_key_is_read(db):
    stranger = Client(headers={"Authorization": "Bearer nope"})

    assert post(stranger, "/api/v1/vehicles", {"label": "V"}).status_code == 401
    assert not StoredAnswer.objects.exists()


def test_every_post_declares_the_header(api):
    document = api.get("/api/v1/openapi.json").json()

    for path, item in document["paths"].items():
        for method, operation in item.items():
            names = [p["name"] for p in operation.get("parameters", [])]
            # An answer holding a secret shown once (a new key) is never kept.
            takes_it = method == "post" and not operation.get(SECRET_ANSWER)
            assert ("Idempotency-Key" in names) == takes_it, (method, path)


@pytest.mark.django_db(transaction=True)
@on_postgres
def test_two_requests_with_one_key_at_once_do_the_work_once(org, api_key, vehicle):
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str | None]] = []
    errors: list[Exception] = []

    def send() -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {api_key}"})
            barrier.wait()
            response = post(client, f"/api/v1/vehicles/{vehicle.pk}/readings", {"odometer": 500})
            answers.append((response.status_code, response.get("Idempotent-Replayed")))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # One did the work; the other was told it is in progress, or got its answer.
    assert sorted(answers)[0] == (201, None)
    assert sorted(answers)[1] in [(201, "true"), (409, None)]
    assert Reading.objects.filter(vehicle=vehicle).count() == 1
    assert StoredAnswer.objects.get().status == 201


def test_a_servicers_retry_gets_the_first_answer(org, vehicle):
    garage = make_servicer(
        "Garage", [ServiceType.SCHEDULED_MAINTENANCE], [("oil", "Oil", "89.90", 45)], fleets=(org,)
    )
    order = make_order(
        OrderStatus.PENDING,
        org=org,
        vehicle=vehicle,
        servicer=garage,
        service_type=ServiceType.SCHEDULED_MAINTENANCE,
        code="oil",
    )
    client = bearer(servicer_key(garage))
    url = f"/api/v1/orders/{order.pk}/accept"

    first = post(client, url, {"accepted": True})
    again = post(client, url, {"accepted": True})

    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert StoredAnswer.objects.get().servicer == garage


def test_a_key_given_back_after_a_server_error_is_claimed_anew(api, api_key):
    owner = accounts.apikey_authenticate(api_key)
    first = idempotency.claim(key="k", fingerprint="f", api_key=owner)
    idempotency.release(first.answer)

    assert idempotency.claim(key="k", fingerprint="f", api_key=owner).outcome == "new"
