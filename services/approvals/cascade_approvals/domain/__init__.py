"""Approval rules, free of HTTP and SQL."""
