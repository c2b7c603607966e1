"""Text in spreadsheet cells that a spreadsheet will not run as a formula.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or
a tab, carriage return or line feed before one; some also read the full-width
signs U+FF1D, U+FF0B, U+FF0D and U+FF20 as their ASCII twins) as a formula: a
vehicle labelled ``=HYPERLINK("http://evil.example","x")`` would become a link in the
reader's sheet. As OWASP advises for CSV injection, such text is written with
a leading apostrophe, which a spreadsheet shows as plain text.

One rule for every report file that carries text people typed (vehicle
labels and keys, task descriptions, servicer and item names, contract
providers, notes, search words): CSV, XLSX and XLS alike, so the same report
reads the same in each format, and an XLSX or XLS saved again as CSV stays
harmless. XLSX text is also written as typed text cells, in workbooks opened
with :data:`WORKBOOK_OPTIONS`, so no text becomes a formula, a number or a
link whichever way it is written. Numbers stay numbers: a negative amount is
a number cell (or, in CSV, text the report wrote itself), never user text.

The rule is written twice, side by side: :func:`plain` for cells written in
Python and :func:`plain_sql` for cells the database writes itself (``COPY
... TO STDOUT``). ``tests/reports/test_sheet_text.py`` holds the two equal
for any text.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# XlsxWriter's write() would otherwise turn "=..." into a formula and "http://..." into a link.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def plain(text: str) -> str:
    """``text`` as a cell: text that could start a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain_cell(value: object) -> object:
    """:func:`plain` for text; anything else (a number, a date, None) as it is."""
    return plain(value) if isinstance(value, str) else value


def plain_sql(expression: str) -> str:
    """:func:`plain` of a text expression, in SQL that PostgreSQL and SQLite both read.

    The starting characters are written into the statement as literals (a tab,
    a line break or a full-width sign inside quotes is a plain character to
    both), taken from ``FORMULA_STARTS`` so that the two spellings cannot drift
    apart. One ``substr`` and one ``IN`` per cell: cheap next to ``COPY``.
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
