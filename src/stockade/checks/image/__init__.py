"""Checks of a container image's configuration and files (what ``docker inspect`` and the layers show).

======== ============================= ======== =====================================================
id       name                          severity what
======== ============================= ======== =====================================================
IMG-0001 image/user-root               high     the image runs as root (no User, ``root`` or uid 0)
IMG-0002 image/secret-in-env           high     an Env entry with a secret-looking name and a literal value
IMG-0003 image/add-remote-url          medium   the history shows ``ADD`` of a remote URL
IMG-0004 image/healthcheck-missing     low      no Healthcheck in the config (Docker format only)
IMG-0005 image/setuid-file             info     a set-uid or set-gid file in the final filesystem
======== ============================= ======== =====================================================

(ids are ``STK-IMG-NNNN``; never reused.)  The Dockerfile checks with the same intent (STK-DF-0001,
-0014, -0003, -0017) judge the build file; these judge the built image, which also carries whatever the
base image brought.
"""
