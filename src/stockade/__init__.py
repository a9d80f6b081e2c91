"""stockade — workload security: scan before deploy, gate at deploy, detect and respond at run time."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stockade")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
