"""What the image checks look at: the config's ``config`` object, the history, set-uid files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from stockade.checks.interface import Check


@dataclass(frozen=True, slots=True)
class ImageFacts:
    reference: str
    config: dict[str, Any]  # the image config's "config" object (User, Env, Healthcheck, ...)
    history: tuple[dict[str, Any], ...]
    setuid: tuple[tuple[str, int, str], ...] = ()  # (path, mode, layer id)
    image_format: str = ""  # "oci" or "docker": OCI configs have no Healthcheck field

    def env(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        raw = self.config.get("Env")
        if isinstance(raw, list):
            for item in raw:
                if isinstance(item, str):
                    name, _, value = item.partition("=")
                    out.append((name, value))
        return out


class ImageCheck(Check[ImageFacts]):
    NAME: ClassVar[str]
