"""Searches match letters of every alphabet whatever their case, on both databases."""

import pytest

from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle

LABELS = ["TÜV inspection", "Ölwechsel", "brake pads", "50% off", "a_b", "axb", "two\nlines"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("tüv", ["TÜV inspection"]),
        ("ÖLW", ["Ölwechsel"]),
        ("BRAKE", ["brake pads"]),
        ("0%", ["50% off"]),  # a percent sign is itself, not a wildcard
        ("a_b", ["a_b"]),  # so is an underscore
        ("O\nLI", ["two\nlines"]),  # across a line break
        ("x_b", []),
    ],
)
def test_a_search_ignores_case_in_every_alphabet(org, term, expected):
    for number, label in enumerate(LABELS):
        vehicles.vehicle_create(org=org, label=label, vehicle_key=f"K{number}")
    found = Vehicle.objects.filter(org=org, label__icontains=term).values_list("label", flat=True)
    assert sorted(found) == expected
