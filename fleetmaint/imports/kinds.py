"""What every kind of import shares: its fields, the column mapping, a chunk of rows, the outcome.

A kind (readings, vehicles, service records) says which fields a column may
fill, which it needs, how it stores a chunk of rows and how it exports; the
upload, mapping, preview and progress around it are the same for all
(``imports.services``).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Q

from fleetmaint.accounts.models import Organization
from fleetmaint.errors import ValidationFailed
from fleetmaint.imports.tables import file_cell
from fleetmaint.vehicles.models import Vehicle

VEHICLE_FIELDS = ("vehicle_key", "vin", "plate")
VEHICLE_FIELD_WORDS = {"vehicle_key": "vehicle key", "vin": "VIN", "plate": "plate"}


@dataclass
class Outcome:
    imported: int = 0
    duplicates: int = 0
    refused: list[dict] = field(default_factory=list)  # {"row", "reason", "cells"}
    duplicate_rows: list[int] = field(default_factory=list)

    def refuse(self, number: int, cells: list[str], reason: str) -> None:
        self.refused.append({"row": number, "reason": reason, "cells": cells})

    def duplicate(self, number: int) -> None:
        self.duplicates += 1
        self.duplicate_rows.append(number)

    def as_dict(self, *, cells: bool = False) -> dict:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "refused": [
                {"row": r["row"], "reason": r["reason"], **({"cells": r["cells"]} if cells else {})}
                for r in self.refused
            ],
        }


@dataclass
class Chunk:
    """A run of rows to store at once, with what the whole import shares."""

    org: Organization
    actor: object | None
    zone: ZoneInfo
    columns: dict[str, int]  # field → column index
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)
    seen: set  # keys of the rows stored earlier in the same file
    outcome: Outcome

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return file_cell(cells[index].strip())


@dataclass(frozen=True)
class Kind:
    slug: str  # in the URL and the API path
    title: str  # "readings": "Import readings"
    fields: dict[str, str]  # field → its label, in the export's order
    aliases: dict[str, str]  # other header names read as a field
    needs: Callable[[dict[str, int]], None]  # refuses a mapping missing a field it needs
    store: Callable[[Chunk], None]
    export_rows: Callable[[Organization], Iterator[list[str]]]
    export_columns: tuple[str, ...]  # the fields an export writes, in its order
    row_help: str  # what one row holds, for the upload page
    chunk_size: int = 10_000


# --- mapping columns to fields ----------------------------------------------------------


def guess_mapping(kind: Kind, header: list[str], last: dict[str, str] | None = None) -> dict:
    """Field → column: the organization's last mapping where its columns are here, else names."""
    mapping: dict[str, str] = {}
    for name, column in (last or {}).items():
        if name in kind.fields and column in header:
            mapping[name] = column
    for column in header:
        name = column.strip().lower().replace(" ", "_").replace("-", "_")
        name = kind.aliases.get(name, name)
        if name in kind.fields and name not in mapping:
            mapping[name] = column
    return mapping


def parse_mapping(kind: Kind, text: str) -> dict[str, str]:
    """A mapping sent as ``field=Column,field=Column``."""
    mapping: dict[str, str] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        name, sep, column = pair.partition("=")
        name = name.strip()
        if not sep or name not in kind.fields:
            raise ValidationFailed(
                f"The mapping names an unknown field: {name!r}. Fields are "
                + ", ".join(kind.fields)
                + ".",
                field="mapping",
            )
        mapping[name] = column.strip()
    return mapping


def check_mapping(kind: Kind, header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """Field → column index, or a clear refusal."""
    columns: dict[str, int] = {}
    for name, column in mapping.items():
        if not column:
            continue
        if name not in kind.fields:
            raise ValidationFailed(f"Unknown field {name!r}.", field="mapping")
        if column not in header:
            raise ValidationFailed(f"The file has no column {column!r}.", field="mapping")
        columns[name] = header.index(column)
    kind.needs(columns)
    return columns


def need_one_vehicle_column(columns: dict[str, int]) -> None:
    if sum(name in columns for name in VEHICLE_FIELDS) != 1:
        raise ValidationFailed(
            "Choose one column naming the vehicle: its key, VIN or plate.", field="mapping"
        )


# --- the vehicles rows name ---------------------------------------------------------------


@dataclass(frozen=True)
class KnownVehicle:
    id: int
    tracks_engine_hours: bool


def vehicle_field(columns: dict[str, int]) -> str:
    return next(name for name in VEHICLE_FIELDS if name in columns)


def vehicles_named(org: Organization, by: str, names: set[str]) -> dict[str, KnownVehicle | None]:
    """The organization's vehicles by the chosen column's values, in one query.

    A plate or VIN two vehicles share names neither (None): a row naming it is
    refused rather than given to one of them by chance. Keys are unique.
    """
    if not names:
        return {}
    rows = Vehicle.objects.filter(org=org).filter(Q(**{f"{by}__in": sorted(names)}))
    found: dict[str, KnownVehicle | None] = {}
    for pk, value, tracks in rows.values_list("id", by, "tracks_engine_hours"):
        found[value] = None if value in found else KnownVehicle(pk, tracks)
    return found


def vehicle_refusal(by: str, name: str, vehicles: dict[str, KnownVehicle | None]) -> str | None:
    """Why a row's vehicle cannot be taken, or None when it names exactly one."""
    words = VEHICLE_FIELD_WORDS[by]
    if name not in vehicles:
        return f"No vehicle of this fleet has the {words} {name!r}."
    if vehicles[name] is None:
        return f"More than one vehicle has the {words} {name!r}: name the vehicle by its key."
    return None
