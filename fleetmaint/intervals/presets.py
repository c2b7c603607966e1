"""The built-in presets every organization starts with.

Typical light-commercial-vehicle values, rounded from manufacturers'
published maintenance schedules; docs/presets.md lists where they come from.
Organizations edit them on the schedule settings page.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PresetDefault:
    name: str
    distance_km: int
    months: int


BUILTIN_PRESETS = (
    PresetDefault("Oil Change", 15_000, 12),
    PresetDefault("Tire Rotation", 10_000, 6),
    PresetDefault("Replace Cabin Air Filter", 20_000, 12),
    PresetDefault("Replace Engine Air Filter", 30_000, 24),
    PresetDefault("Replace Brake Pads", 50_000, 36),
    PresetDefault("Replace Spark Plugs", 60_000, 48),
    PresetDefault("Replace Brake Fluid", 40_000, 24),
    PresetDefault("Replace Transmission Fluid", 90_000, 60),
)
