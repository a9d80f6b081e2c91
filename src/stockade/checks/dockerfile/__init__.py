"""Dockerfile checks: an exact parser (:mod:`.parser`) and best-practice checks over the parsed file.

Only the final stage becomes the image: checks of the image's configuration (USER, HEALTHCHECK, EXPOSE,
left-over caches) look at the final stage and the stages it is built FROM; checks of the build itself
(base images, pinning, download-and-execute, secrets) look at every stage.

======== ================================ ======== ==================================================
id       name                             severity what
======== ================================ ======== ==================================================
DF-0001  dockerfile/user-root             high     last USER of the final image is root / 0
DF-0002  dockerfile/user-missing          medium   final stage (and its FROM stages) never sets USER
DF-0003  dockerfile/add-remote            medium   ADD of a URL / Git repository without --checksum
DF-0004  dockerfile/add-instead-of-copy   low      ADD of local files (not archives): COPY fits
DF-0005  dockerfile/add-extracts-archive  info     ADD of a local tar archive auto-extracts it
DF-0006  dockerfile/from-untagged         medium   FROM / COPY --from image without tag or digest
DF-0007  dockerfile/from-latest           medium   FROM / COPY --from image with :latest (no digest)
DF-0008  dockerfile/unpinned-packages     medium   apt-get/apk/pip/npm/gem install without versions
DF-0009  dockerfile/apt-lists-kept        low      apt-get without rm -rf /var/lib/apt/lists/* (same RUN)
DF-0010  dockerfile/apk-cache-kept        low      apk add without --no-cache
DF-0011  dockerfile/pip-cache-kept        low      pip install without --no-cache-dir
DF-0012  dockerfile/apt-upgrade           low      apt-get upgrade / dist-upgrade / full-upgrade
DF-0013  dockerfile/curl-pipe-shell       high     curl/wget output piped (or substituted) into a shell
DF-0014  dockerfile/secret-in-env-arg     high     ENV/ARG with a secret-looking name and literal value
DF-0015  dockerfile/sudo                  medium   sudo (or doas) in RUN
DF-0016  dockerfile/expose-ssh            medium   EXPOSE 22 in the final image
DF-0017  dockerfile/healthcheck-missing   low      no HEALTHCHECK in the final image (NONE counts)
DF-0018  dockerfile/workdir-relative      low      WORKDIR with a relative path
DF-0019  dockerfile/maintainer            info     MAINTAINER (deprecated)
DF-0020  dockerfile/world-writable        medium   chmod 777 / o+w, COPY --chmod=777 (sticky 1777 ok)
DF-0021  dockerfile/unknown-instruction   low      instruction keyword Docker does not know
======== ================================ ======== ==================================================

(ids are ``STK-DF-NNNN``; never reused.)
"""

from __future__ import annotations

from stockade.checks.dockerfile.add import AddArchive, AddLocal, AddRemote
from stockade.checks.dockerfile.base_image import FromLatest, FromUntagged
from stockade.checks.dockerfile.common import DockerfileCheck
from stockade.checks.dockerfile.misc import (
    ExposeSSH,
    HealthcheckMissing,
    MaintainerDeprecated,
    UnknownInstruction,
    WorkdirRelative,
)
from stockade.checks.dockerfile.model import Dockerfile, Instruction, Stage
from stockade.checks.dockerfile.packages import (
    ApkCacheKept,
    AptListsKept,
    AptUpgrade,
    PipCacheKept,
    UnpinnedPackages,
)
from stockade.checks.dockerfile.parser import load_dockerfile, parse_dockerfile
from stockade.checks.dockerfile.run import DownloadPipeShell, Sudo, WorldWritable
from stockade.checks.dockerfile.secrets import SecretInEnvArg
from stockade.checks.dockerfile.user import FinalUserMissing, FinalUserRoot
from stockade.checks.interface import Check

CHECKS: tuple[type[Check[Dockerfile]], ...] = (
    FinalUserRoot,
    FinalUserMissing,
    AddRemote,
    AddLocal,
    AddArchive,
    FromUntagged,
    FromLatest,
    UnpinnedPackages,
    AptListsKept,
    ApkCacheKept,
    PipCacheKept,
    AptUpgrade,
    DownloadPipeShell,
    SecretInEnvArg,
    Sudo,
    ExposeSSH,
    HealthcheckMissing,
    WorkdirRelative,
    MaintainerDeprecated,
    WorldWritable,
    UnknownInstruction,
)

__all__ = [
    "CHECKS",
    "Dockerfile",
    "DockerfileCheck",
    "Instruction",
    "Stage",
    "load_dockerfile",
    "parse_dockerfile",
]
