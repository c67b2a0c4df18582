"""Distributed mode: run the plans service as its own process."""

from cascade_shared.app import serve


def main() -> None:
    serve("plans")
