"""Hostile values for the edge tests: what a careless or malicious client sends.

Each face's fuzz tests put these into every field of a valid request and assert
a 4xx in that face's envelope with the data left as it was.
"""

import json

NUL = "oil\x00change"
LONE_SURROGATE = "brake\ud800pads"
ONE_MEGABYTE = "x" * 1_000_000

# Values of the wrong shape for any scalar field.
WRONG_TYPES: list[object] = [
    None,
    True,
    "",
    "abc",
    [],
    [1, 2],
    {},
    {"a": 1},
    1.5,
]

NUMBERS: list[object] = [
    -1,
    -(2**63),
    2**63,
    10**400,
    1e308,
    "1e400",
    "-0",
]

TEXTS: list[str] = [NUL, LONE_SURROGATE, ONE_MEGABYTE]

EVERYTHING: list[object] = WRONG_TYPES + NUMBERS + TEXTS


def deep(levels: int = 100_000) -> str:
    """A JSON text nested ``levels`` arrays deep (json.dumps would recurse too far)."""
    return "[" * levels + "]" * levels


def deep_object(levels: int = 100_000) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def wide_object(keys: int = 50_000) -> str:
    return json.dumps({f"k{i}": i for i in range(keys)})


LONG_KEY_OBJECT = json.dumps({"k" * 100_000: 1})

# Bodies that are not a JSON object at all.
BROKEN_BODIES: list[str] = [
    "",
    "{",
    "not json",
    "[]",
    "[1, 2]",
    '"text"',
    "null",
    "NaN",
    '{"a": NaN}',
    '{"a": Infinity}',
]


def dumps(value: object) -> str:
    """JSON text for a value that may hold lone surrogates, which json.dumps escapes as is."""
    return json.dumps(value)
