"""What every plug-in has: a stable ``NAME`` (``family/kind``) and a one-line description.

Families (catalogers, checks, formatters ...) define their own ABC in ``<family>/interface.py`` on top
of :class:`Plugin`, and a plain ``name -> class`` table in ``<family>/registry.py``.
"""

from __future__ import annotations

import importlib
from abc import ABC
from typing import ClassVar

from stockade.errors import PluginError


class Plugin(ABC):
    NAME: ClassVar[str]
    DESCRIPTION: ClassVar[str] = ""


def load_class(spec: str, base: type) -> type:
    """Import ``"package.module:Class"`` and check it is a ``base``.  Registries name their plug-ins
    this way so that one broken plug-in becomes an error status instead of breaking every scan."""
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"plug-in {spec} could not be loaded: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginError(f"plug-in {spec} is not a {base.__name__}")
    return cls
