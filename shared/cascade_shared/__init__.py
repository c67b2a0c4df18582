"""Infrastructure and event contracts shared by every Cascade service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cascade-shared")
    """Cascade's release (every package of the workspace carries the same; CHANGELOG.md)."""
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
