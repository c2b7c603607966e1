"""Meter readings imported from a CSV file, and exported in the same columns (docs/imports.md)."""
