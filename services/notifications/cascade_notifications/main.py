"""Distributed mode: run the notifications service as its own process."""

from cascade_shared.app import serve


def main() -> None:
    serve("notifications")
