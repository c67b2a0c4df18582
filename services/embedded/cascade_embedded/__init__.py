"""Cascade in one process: every service on its own SQLite file, over the in-process bus."""
