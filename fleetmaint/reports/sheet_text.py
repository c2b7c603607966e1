"""Text cells for CSV files that a spreadsheet will not run as formulas.

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return before one) as a formula: a
vehicle labelled ``=HYPERLINK("http://evil.example","x")`` would become a
link in the reader's sheet. As OWASP advises, such text is written with a
leading apostrophe, which spreadsheets show as plain text. Numbers stay
numbers: a negative amount is not text.

The rule is written twice, side by side: :func:`csv_cell` for rows written
in Python and :func:`csv_cell_sql` for rows the database writes itself
(``COPY ... TO STDOUT``). ``tests/reports/test_csv_cells.py`` holds the two
equal for any text.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """``value`` as a CSV cell: text that could start a formula is made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell_sql(expression: str) -> str:
    """:func:`csv_cell` of a text expression, in SQL that PostgreSQL and SQLite both read.

    The starting characters are written into the statement as literals (a tab
    and a carriage return inside quotes are plain characters to both), taken
    from ``FORMULA_STARTS`` so that the two spellings cannot drift apart.
    """
    starts = ", ".join(_literal(start) for start in FORMULA_STARTS)
    return (
        f"CASE WHEN substr({expression}, 1, 1) IN ({starts}) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def _literal(text: str) -> str:
    if "%" in text:  # the drivers would read it as a placeholder
        raise ValueError(f"{text!r} cannot be written as an SQL literal here")
    return "'" + text.replace("'", "''") + "'"
