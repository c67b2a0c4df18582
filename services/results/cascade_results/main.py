"""Distributed mode: run the results service as its own process."""

from cascade_shared.chassis.app import serve


def main() -> None:
    serve("results")
