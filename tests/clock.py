"""The moment most tests stand still at; the ``clock`` fixture in conftest holds it."""

from datetime import UTC, datetime

NOW = datetime(2030, 6, 15, 10, 0, tzinfo=UTC)  # 12:00 in Berlin, where the fleet is
