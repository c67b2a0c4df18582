"""The audit service: every event, in a hash chain nobody can quietly change."""
