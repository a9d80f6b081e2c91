"""stockade — workload security: scan before deploy, gate at deploy, detect and respond at run time."""

# The single source of the version (pyproject.toml reads it from here): importing importlib.metadata to
# look it up would cost every command ~50 ms of start-up.
__version__ = "0.1.0"

__all__ = ["__version__"]
