"""One rule for formula-like text in report cells: its SQL spelling says what Python says."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fleetmaint import sql
from fleetmaint.reports.sheet_text import FORMULA_STARTS, plain, plain_cell, plain_sql

# The starts OWASP names, the line feed, and the full-width signs some spreadsheets read.
DANGEROUS = ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"]

# Text that starts with anything, often with one of the formula starts.
texts = st.one_of(
    st.text(max_size=12),
    st.builds(lambda s, rest: s + rest, st.sampled_from(FORMULA_STARTS), st.text(max_size=8)),
).map(lambda text: text.replace("\x00", ""))


def in_sql(text: str) -> str | None:
    [(value,)] = sql.run(f"SELECT {plain_sql('CAST(%(text)s AS TEXT)')}", {"text": text})
    return value


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
@example(text='=HYPERLINK("http://evil.example","x")')
@example(text="\t=1+1")
@example(text="\r=1")
@example(text="\n=1")
@example(text="\uff1d1+1")
@example(text="\uff0d1")
@example(text="'=already")
@example(text="")
@example(text="-")
@example(text="Ölwechsel")
def test_text_is_neutralised_the_same_in_sql_and_in_python(text):
    assert in_sql(text) == plain(text)


@pytest.mark.parametrize("start", DANGEROUS)
def test_every_dangerous_start_gets_an_apostrophe(start):
    assert plain(f"{start}1+1") == f"'{start}1+1"


def test_other_text_is_left_as_it_is():
    assert plain("Oil change = 89 EUR") == "Oil change = 89 EUR"
    assert plain("'=already quoted") == "'=already quoted"
    assert plain("http://evil.example") == "http://evil.example"  # a link only if made one
    assert plain("") == ""


def test_numbers_are_left_alone():
    assert plain_cell(-5) == -5
    assert plain_cell(None) is None
    assert plain_cell("-5") == "'-5"
