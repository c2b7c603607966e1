"""The Contracts page costs the same few queries whatever the fleet's size."""

import pytest
from django.urls import reverse

from tests.page_rows import counts_as_the_fleet_grows

MAX_STATEMENTS = 10


@pytest.mark.parametrize(
    "params", ["", "?status=active", "?type=service_plan", "?view=expiring", "?q=grown"]
)
def test_the_contracts_page_takes_as_many_queries_for_63_vehicles_as_for_3(
    advisor_client, org, params
):
    url = reverse("contracts:list") + params
    small, large = counts_as_the_fleet_grows(advisor_client, org, lambda _: url)
    assert small == large <= MAX_STATEMENTS
