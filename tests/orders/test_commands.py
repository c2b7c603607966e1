"""The operator's commands for servicers: create_servicer, create_servicer_key."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fleetmaint.orders.models import Partnership, Servicer, ServicerApiKey
from fleetmaint.orders.servicers import servicer_authenticate


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_servicer_makes_a_servicer_working_for_the_fleets_named(org):
    out, err = run(
        "create_servicer",
        "Bay Garage",
        "--type",
        "scheduled-maintenance",
        "--type",
        "repair_depot",
        "--fleet",
        org.slug,
        "--email",
        "desk@bay.example",
        "--currency",
        "nok",
    )
    servicer = Servicer.objects.get()
    assert out.strip() == str(servicer.pk)
    assert "Bay Garage" in err and org.name in err
    assert servicer.service_types == ["scheduled_maintenance", "repair_depot"]
    assert (servicer.email, servicer.currency, servicer.auto_accept) == (
        "desk@bay.example",
        "NOK",
        False,
    )
    assert Partnership.objects.filter(org=org, servicer=servicer).exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--type", "towing"], "'towing' is not a service type"),
        (["--type", "repair", "--fleet", "nobody"], "No organization with the slug 'nobody'"),
        (["--type", "repair", "--currency", "euro"], "three-letter code"),
        (["--type", "repair", "--email", "not-mail"], "is not an e-mail address"),
    ],
)
def test_create_servicer_refuses_in_plain_words_and_creates_nothing(db, args, words):
    with pytest.raises(CommandError, match=words):
        run("create_servicer", "Bay Garage", *args)
    assert not Servicer.objects.exists()


def test_create_servicer_key_shows_a_working_key_once(db):
    servicer_id, _ = run("create_servicer", "RoadReady", "--type", "repair-onsite")
    out, err = run("create_servicer_key", servicer_id.strip(), "--name", "dispatch")
    raw = out.strip().splitlines()[-1]
    key = ServicerApiKey.objects.get()
    assert "shown only once" in err and raw not in err
    assert key.name == "dispatch" and key.key_hash != raw and raw.startswith(key.prefix)
    assert servicer_authenticate(raw) == Servicer.objects.get()


def test_create_servicer_key_refuses_an_unknown_or_inactive_servicer(db):
    with pytest.raises(CommandError, match="No servicer with the id 999"):
        run("create_servicer_key", "999", "--name", "x")
    closed = Servicer.objects.create(name="Closed", service_types=["repair_depot"], active=False)
    with pytest.raises(CommandError, match="not active"):
        run("create_servicer_key", str(closed.pk), "--name", "x")
    with pytest.raises(CommandError, match="name of up to 80"):
        closed.active = True
        closed.save()
        run("create_servicer_key", str(closed.pk), "--name", " ")
    assert not ServicerApiKey.objects.exists()
