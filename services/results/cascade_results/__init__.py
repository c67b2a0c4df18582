"""Cascade results service: progress reports, statuses, roll-up, evaluation."""
