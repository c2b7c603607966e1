"""The one reading of the task list's sort syntax, for every face.

A sort is a list of options ``name=direction`` (``["status=asc", "cost=desc"]``,
the vendor's syntax of seed 004, which the Tasks page's ``sort`` parameter, the
report, ``/api/v1/tasks`` and ``/v2`` all use). The direction may be left out
(ascending). Clients are told when an option is wrong (``strict``); the Tasks
page, whose links anyone can edit, falls back to the default order instead.
"""

from collections.abc import Iterable

from fleetmaint.errors import ValidationFailed

# What the list can be sorted by (``queries.SORT_FIELDS`` says how).
SORT_NAMES = ("id", "vehicle", "description", "status", "cost", "predicted_date")
DIRECTIONS = ("asc", "desc")
DEFAULT_SORT = (("predicted_date", "asc"),)

# The characters str.strip() removes (str.isspace), written out: a regex's \s differs.
_SPACE = "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"
_DIRECTION = "|".join("".join(f"[{c.upper()}{c}]" for c in d) for d in DIRECTIONS)
# One option as a regular expression, for schemas that document it (the API's OpenAPI
# document): what _option reads, or an empty option.
SORT_OPTION_PATTERN = (
    f"^{_SPACE}(?:(?:{'|'.join(SORT_NAMES)}){_SPACE}(?:={_SPACE}(?:{_DIRECTION})?{_SPACE})?)?$"
)

Sort = tuple[tuple[str, str], ...]


def _option(option: object) -> tuple[str, str] | None:
    if not isinstance(option, str):
        return None
    name, _, direction = option.partition("=")
    name, direction = name.strip(), (direction.strip().lower() or "asc")
    if name in SORT_NAMES and direction in DIRECTIONS:
        return name, direction
    return None


def parse_sort(options: Iterable[object], *, strict: bool = True) -> Sort:
    """The options as (name, direction) pairs; none given means the default order.

    An empty option is no option (``sort=`` in a URL). ``strict`` refuses any
    other option it cannot read; otherwise such an option is left out.
    """
    pairs = []
    for option in options:
        if isinstance(option, str) and not option.strip():
            continue
        pair = _option(option)
        if pair is not None:
            pairs.append(pair)
        elif strict:
            shown = option if isinstance(option, str) and len(option) <= 40 else "that option"
            raise ValidationFailed(
                f"Cannot sort by {shown!r}: use one of {', '.join(SORT_NAMES)}, "
                "with =asc or =desc.",
                field="sort",
            )
    return tuple(pairs) or DEFAULT_SORT
