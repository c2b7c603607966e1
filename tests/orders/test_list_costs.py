"""The Orders page costs the same few queries whatever the number of orders."""

import re

import pytest
from django.urls import reverse

from tests.page_rows import counts_as_the_fleet_grows, grow

MAX_STATEMENTS = 10


@pytest.mark.parametrize("params", ["", "?status=all", "?status=pending"])
def test_the_orders_page_takes_as_many_queries_for_63_orders_as_for_3(advisor_client, org, params):
    url = reverse("orders:list") + params
    small, large = counts_as_the_fleet_grows(advisor_client, org, lambda _: url)
    assert small == large <= MAX_STATEMENTS


def test_it_shows_the_ten_newest_pending_quotes_and_a_page_of_orders(advisor_client, org):
    grow(org, 30)
    html = advisor_client.get(reverse("orders:list")).content.decode()
    assert len(re.findall(r">Quote \d+</a>", html)) == 10
    assert len(re.findall(r"<strong>Order \d+</strong>", html)) == 25
