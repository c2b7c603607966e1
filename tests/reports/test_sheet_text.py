"""One rule for formula-like CSV text: the SQL spelling says what the Python one says."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fleetmaint import sql
from fleetmaint.reports.csv_cells import FORMULA_STARTS, csv_cell, csv_cell_sql

# Text that starts with anything, often with one of the formula starts.
texts = st.one_of(
    st.text(max_size=12),
    st.builds(lambda s, rest: s + rest, st.sampled_from(FORMULA_STARTS), st.text(max_size=8)),
).map(lambda text: text.replace("\x00", ""))


def in_sql(text: str) -> str | None:
    [(value,)] = sql.run(f"SELECT {csv_cell_sql('CAST(%(text)s AS TEXT)')}", {"text": text})
    return value


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
@example(text='=HYPERLINK("http://evil.example","x")')
@example(text="\t=1+1")
@example(text="\r=1")
@example(text="'=already")
@example(text="")
@example(text="-")
@example(text="Ölwechsel")
def test_text_is_neutralised_the_same_in_sql_and_in_python(text):
    assert in_sql(text) == csv_cell(text)


def test_numbers_are_left_alone_in_python():
    assert csv_cell(-5) == -5
    assert csv_cell("-5") == "'-5"
