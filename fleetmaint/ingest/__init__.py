"""Telematics ingest: odometer and engine-hour readings from GPS trackers (docs/telematics.md)."""
