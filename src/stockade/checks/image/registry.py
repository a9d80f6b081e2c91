"""Every image check by name (plain table; see checks/image/__init__.py for the list)."""

from __future__ import annotations

from stockade.checks.image.env import ImageSecretInEnv
from stockade.checks.image.files import ImageSetuidFile
from stockade.checks.image.health import ImageHealthcheckMissing
from stockade.checks.image.history import ImageAddRemote
from stockade.checks.image.model import ImageCheck
from stockade.checks.image.user import ImageUserRoot

CHECKS: tuple[type[ImageCheck], ...] = (
    ImageUserRoot,
    ImageSecretInEnv,
    ImageAddRemote,
    ImageHealthcheckMissing,
    ImageSetuidFile,
)
