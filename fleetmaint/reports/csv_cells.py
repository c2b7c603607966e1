"""Text cells for CSV files that a spreadsheet will not run as formulas.

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return before one) as a formula: a
vehicle labelled ``=HYPERLINK("http://evil.example","x")`` would become a
link in the reader's sheet. As OWASP advises, such text is written with a
leading apostrophe, which spreadsheets show as plain text. Numbers stay
numbers: a negative amount is not text.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """``value`` as a CSV cell: text that could start a formula is made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
