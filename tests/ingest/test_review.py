"""A held telematics reading is recorded once a person confirms it, or dismissed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from fleetmaint.errors import ValidationFailed
from fleetmaint.ingest import review
from fleetmaint.ingest.feeds import Observation
from fleetmaint.ingest.models import IngestIssue, Resolution
from fleetmaint.ingest.services import telematics_ingest
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle
from tests.clock import NOW

CHANGELIST = "/admin/ingest/ingestissue/"
START = NOW - timedelta(hours=5)
HELD_AT = NOW - timedelta(hours=3)
FAR = 20_000  # km: 15,000 km in two hours after 5,000, well over the fleet's daily maximum


def held(org, vehicle: Vehicle, km: int, at=HELD_AT) -> IngestIssue:
    """What the ingest keeps of a tracker's reading the rules would not store."""
    before = set(IngestIssue.objects.values_list("pk", flat=True))
    observation = Observation(
        index=0,
        recorded_at=at,
        vehicle_key=vehicle.vehicle_key,
        distance=Decimal(km),
        distance_unit="km",
    )
    result = telematics_ingest(org=org, observations=[observation], interval=timedelta(0))
    assert result.accepted == 0, result
    return IngestIssue.objects.exclude(pk__in=before).get()


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", "op@example.net", "x" * 16)


@pytest.fixture
def operator_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def van(clock, org) -> Vehicle:
    vehicle = vehicles.vehicle_create(org=org, label="Van 1", vehicle_key="VAN-1")
    vehicles.reading_record(vehicle=vehicle, odometer=5_000, recorded_at=START)
    return vehicle


@pytest.fixture
def jump(org, van) -> IngestIssue:
    issue = held(org, van, FAR)
    assert issue.code == "confirmation_required"
    assert issue.is_open
    return issue


@pytest.fixture
def their_issue(clock, other_org) -> IngestIssue:
    theirs = vehicles.vehicle_create(org=other_org, label="Theirs", vehicle_key="THEIRS")
    vehicles.reading_record(vehicle=theirs, odometer=100, recorded_at=START)
    return held(other_org, theirs, 90)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- recording ---------------------------------------------------------------------------


def test_recording_a_held_jump_stores_the_reading_and_resolves_the_issue(jump, van, operator):
    reading = review.issue_record(issue=jump, actor=operator)

    assert Vehicle.objects.get(pk=van.pk).odometer == FAR
    stored = Reading.objects.get(pk=reading.pk)
    assert (stored.odometer, stored.recorded_at, stored.source, stored.created_by) == (
        FAR,
        HELD_AT,
        ReadingSource.TELEMATICS,
        operator,
    )
    issue = IngestIssue.objects.get(pk=jump.pk)
    assert (issue.resolution, issue.resolved_by, issue.reading) == (
        Resolution.RECORDED,
        operator,
        stored,
    )
    assert issue.resolved_at is not None
    assert jump.resolution == Resolution.RECORDED  # the instance given is told too


def test_a_value_the_rules_refuse_now_leaves_the_issue_open_with_their_message(jump, van, operator):
    # Someone read the van since: lower than the held value, later than it.
    vehicles.reading_record(vehicle=van, odometer=5_500, recorded_at=NOW - timedelta(hours=1))

    with pytest.raises(ValidationFailed) as refused:
        review.issue_record(issue=jump, actor=operator)

    assert refused.value.message.startswith("The odometer is higher than a later reading (5,500")
    assert refused.value.field == "odometer"
    issue = IngestIssue.objects.get(pk=jump.pk)
    assert issue.is_open
    assert (issue.resolution, issue.reading, issue.resolved_by) == ("", None, None)
    stored = Reading.objects.filter(vehicle=van).order_by("recorded_at")
    assert list(stored.values_list("odometer", flat=True)) == [5_000, 5_500]


def test_an_issue_recorded_already_is_refused_and_stores_nothing_more(jump, van, operator):
    first = review.issue_record(issue=jump, actor=operator)

    with pytest.raises(ValidationFailed, match="This issue was recorded already"):
        review.issue_record(issue=IngestIssue.objects.get(pk=jump.pk), actor=operator)

    assert Reading.objects.filter(vehicle=van).count() == 2
    assert IngestIssue.objects.get(pk=jump.pk).reading_id == first.pk


def test_a_dismissed_issue_is_not_recorded(org, jump, van, operator):
    review.issues_dismiss(org=org, actor=operator)

    with pytest.raises(ValidationFailed, match="This issue was dismissed already"):
        review.issue_record(issue=jump, actor=operator)

    assert Vehicle.objects.get(pk=van.pk).odometer == 5_000


def test_an_issue_without_a_vehicle_or_meters_is_refused(clock, org, van, operator):
    lost = IngestIssue.objects.create(
        org=org, device="000", odometer=1, recorded_at=NOW, code="x", message="Lost."
    )
    empty = IngestIssue.objects.create(
        org=org, vehicle=van, recorded_at=NOW, code="x", message="Empty."
    )

    with pytest.raises(ValidationFailed, match="names no vehicle"):
        review.issue_record(issue=lost, actor=operator)
    with pytest.raises(ValidationFailed, match="no odometer value or engine hours"):
        review.issue_record(issue=empty, actor=operator)

    assert IngestIssue.objects.filter(resolved_at=None).count() == 2


# --- dismissing --------------------------------------------------------------------------


def test_dismissing_is_one_update_and_keeps_what_was_recorded(
    org, van, jump, operator, django_assert_num_queries
):
    later = held(org, van, FAR * 3, at=NOW - timedelta(hours=2))
    review.issue_record(issue=jump, actor=operator)
    others = [held(org, van, FAR * 4, at=NOW - timedelta(minutes=m)) for m in (50, 40)]

    with django_assert_num_queries(1):
        count = review.issues_dismiss(issues=IngestIssue.objects.all(), actor=operator)

    assert count == 3
    resolutions = dict(IngestIssue.objects.values_list("pk", "resolution"))
    assert resolutions[jump.pk] == Resolution.RECORDED
    for issue in [later, *others]:
        assert resolutions[issue.pk] == Resolution.DISMISSED
    assert set(IngestIssue.objects.values_list("resolved_by", flat=True)) == {operator.pk}


def test_dismissing_for_an_organization_leaves_another_ones_issues_open(
    org, jump, their_issue, operator
):
    assert review.issues_dismiss(issues=IngestIssue.objects.all(), org=org, actor=operator) == 1
    assert review.issues_dismiss(org=org, actor=operator) == 0

    assert IngestIssue.objects.get(pk=their_issue.pk).is_open
    assert IngestIssue.objects.get(pk=jump.pk).resolution == Resolution.DISMISSED


def test_dismissing_needs_the_issues_or_their_organization(operator):
    with pytest.raises(ValueError):
        review.issues_dismiss(actor=operator)


# --- the admin ---------------------------------------------------------------------------


def test_the_admin_records_each_selected_reading_and_lists_each_refusal(
    org, van, jump, operator, operator_client
):
    resolved = held(org, van, FAR * 3, at=NOW - timedelta(hours=2))
    review.issues_dismiss(issues=IngestIssue.objects.filter(pk=resolved.pk), actor=operator)

    response = operator_client.post(
        CHANGELIST,
        {"action": "record_readings", "_selected_action": [jump.pk, resolved.pk]},
    )

    assert response.status_code == 302
    recorded, refusals = messages_of(response)
    assert recorded == "Recorded 1 reading(s)."
    assert refusals == (
        f"Not recorded: 1.<br>Issue {resolved.pk} (Van 1): This issue was dismissed already."
    )
    assert Vehicle.objects.get(pk=van.pk).odometer == FAR
    assert IngestIssue.objects.get(pk=jump.pk).resolution == Resolution.RECORDED


def test_the_admin_dismisses_the_selected_only(
    org, van, jump, their_issue, operator, operator_client
):
    response = operator_client.post(
        CHANGELIST, {"action": "dismiss", "_selected_action": [their_issue.pk]}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Dismissed 1 issue(s)."]
    assert IngestIssue.objects.get(pk=their_issue.pk).resolution == Resolution.DISMISSED
    assert IngestIssue.objects.get(pk=jump.pk).is_open


def test_the_admin_lists_the_resolution_and_filters_the_open_issues(
    org, van, jump, their_issue, operator, operator_client
):
    review.issue_record(issue=jump, actor=operator)

    everything = operator_client.get(CHANGELIST).content.decode()
    still_open = operator_client.get(CHANGELIST, {"resolution": "open"})
    resolved = operator_client.get(CHANGELIST, {"resolution": "resolved"})

    assert "Record the selected readings (the jump is confirmed)" in everything
    assert "Dismiss the selected" in everything
    assert [i.pk for i in still_open.context["cl"].result_list] == [their_issue.pk]
    assert [i.pk for i in resolved.context["cl"].result_list] == [jump.pk]
    assert '<td class="field-resolution_shown">Recorded</td>' in everything
    assert '<td class="field-resolution_shown">Open</td>' in everything
