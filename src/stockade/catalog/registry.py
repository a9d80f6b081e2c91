"""Every cataloger by name, and the presets that targets use.

Plain table, no import-time self-registration: a cataloger that fails to import becomes an error
status in the result instead of breaking every scan.
"""

from __future__ import annotations

from typing import cast

from stockade.catalog.interface import Cataloger
from stockade.plugin import load_class

CATALOGERS: dict[str, str] = {
    "os/dpkg": "stockade.catalog.os.dpkg:DpkgCataloger",
    "os/apk": "stockade.catalog.os.apk:ApkCataloger",
    "os/rpm": "stockade.catalog.os.rpm:RpmCataloger",
    "lang/python": "stockade.catalog.lang.python:PythonCataloger",
    "lang/npm": "stockade.catalog.lang.npm:NpmCataloger",
    "lang/go-binary": "stockade.catalog.lang.gobinary:GoBinaryCataloger",
    "lang/go-mod": "stockade.catalog.lang.gomod:GoModCataloger",
    "lang/java": "stockade.catalog.lang.java:JavaCataloger",
    "lang/rust": "stockade.catalog.lang.rust:RustCataloger",
    "lang/ruby": "stockade.catalog.lang.ruby:RubyCataloger",
    "lang/php": "stockade.catalog.lang.php:PhpCataloger",
    "lang/dotnet": "stockade.catalog.lang.dotnet:DotnetCataloger",
}

#: What each kind of target runs.  Installed-package catalogers only for live systems and images;
#: a source directory also reads lock files and manifests.
PRESETS: dict[str, tuple[str, ...]] = {
    "all": tuple(CATALOGERS),
    "host": tuple(CATALOGERS),
    "rootfs": tuple(CATALOGERS),
    "image": tuple(CATALOGERS),
    "directory": tuple(CATALOGERS),
}


def load(name: str) -> type[Cataloger]:
    return cast("type[Cataloger]", load_class(CATALOGERS[name], Cataloger))
