"""Policy: exceptions that suppress findings, narrowly, with a reason, an owner and an expiry date.

Two sources, described in ``docs/exceptions.md``:

- the exceptions file (``.stockade/exceptions.yaml``, :mod:`stockade.policy.exceptions`): check ids and a
  scope (path glob, kind, namespace, name, labels) with a reason, an owner and an expiry date;
- inline annotations on a Kubernetes object (``stockade.io/ignore`` with ``stockade.io/ignore-reason``,
  :mod:`stockade.policy.annotations`).

:func:`stockade.policy.apply.split` sorts findings into kept and suppressed; a suppressed finding is never
dropped: it is listed apart in the result with ``metadata["suppression"]`` (:class:`Suppression`).
Expired exceptions and invalid annotations stop applying and are reported as statuses.  A malformed
exceptions file is an error (:class:`ExceptionsFileError`, exit code 2), never "suppress nothing" or
"suppress everything".
"""

# The submodules are not imported here: a scan needs ``apply.facts_of`` for every object, the exceptions
# file's reader (PyYAML, difflib) only when there is a file (stockade.policy.exceptions).

import os

#: the exceptions file read when none is named (docs/exceptions.md)
DEFAULT_PATH = ".stockade/exceptions.yaml"


def exceptions_file(given: str | None) -> str | None:
    """The exceptions file to read: the one named, else :data:`DEFAULT_PATH` when it exists, else None
    (then the reader, with PyYAML, is not imported at all)."""
    if given is None and os.path.exists(DEFAULT_PATH):
        return DEFAULT_PATH
    return given
