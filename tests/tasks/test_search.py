"""The Tasks page's search: descriptions, comments and vehicles, read the cheaper way."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetmaint.tasks import queries, services
from fleetmaint.tasks.models import ServiceTask
from fleetmaint.tasks.services import Conditions, TaskInput
from fleetmaint.vehicles import services as vehicles
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")


def create(vehicle, description: str, comment: str = "", days: int = 5) -> ServiceTask:
    end = (NOW + timedelta(days=days)).strftime("%Y-%m-%d 12:00:00")
    data = TaskInput(
        description=description, comment=comment, conditions=Conditions(date={"end": end})
    )
    return services.task_create(vehicle=vehicle, data=data)


@pytest.fixture
def fleet(org, other_org):
    van = vehicles.vehicle_create(org=org, label="Sprinter", vehicle_key="SPR-9")
    truck = vehicles.vehicle_create(org=org, label="Actros", vehicle_key="ACT-1")
    theirs = vehicles.vehicle_create(org=other_org, label="Sprinter", vehicle_key="SPR-X")
    return {
        "oil": create(van, "Oil change", days=3),
        "brakes": create(truck, "Brake pads", comment="Use the OEM pads", days=2),
        "tyres": create(truck, "Tyre swap", days=9),
        "theirs": create(theirs, "Oil change"),
    }


def found(client, term: str) -> set[str]:
    html = client.get("/tasks/", {"q": term, "status": "all"}).content.decode()
    return {name for name in ("Oil change", "Brake pads", "Tyre swap") if name in html}


def test_search_finds_descriptions_comments_vehicle_labels_and_keys(advisor_client, fleet):
    assert found(advisor_client, "oil") == {"Oil change"}
    assert found(advisor_client, "oem") == {"Brake pads"}
    assert found(advisor_client, "actros") == {"Brake pads", "Tyre swap"}
    assert found(advisor_client, "spr-9") == {"Oil change"}
    assert found(advisor_client, "nothing like it") == set()


def test_search_never_reaches_another_fleets_vehicles(advisor_client, org, fleet):
    tasks = queries.task_list(org, queries.TaskFilters(search="SPR-X"))
    assert list(tasks) == []


@pytest.mark.parametrize(("term", "gather"), [("a", 5_000), ("a", 1), ("zzzz", 5_000)])
def test_searched_keeps_the_rows_and_their_order_and_counts_them(
    org, fleet, monkeypatch, term, gather
):
    monkeypatch.setattr(queries, "SEARCH_GATHER", gather)  # 1: more match than are gathered
    tasks = queries.task_list(org, queries.TaskFilters(search=term))
    found, count = queries.searched(tasks)
    assert list(found) == list(tasks)
    assert count == tasks.count()


def test_a_search_with_no_match_reads_no_tasks(advisor_client, fleet):
    with CaptureQueriesContext(connection) as none_found:
        advisor_client.get("/tasks/?q=zzzz")
    with CaptureQueriesContext(connection) as some_found:
        advisor_client.get("/tasks/?q=oil")
    task_reads = [q["sql"] for q in none_found.captured_queries if "tasks_servicetask" in q["sql"]]
    # Only the matches' ids are gathered; they are none, so no page and no count is read.
    assert len(task_reads) == 1
    assert task_reads[0].startswith('SELECT "tasks_servicetask"."id" AS "id" FROM')
    assert len(some_found) <= 10
