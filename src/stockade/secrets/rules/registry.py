"""Package and container registries: npm, PyPI, RubyGems, NuGet, Docker Hub, JFrog Artifactory,
Clojars, crates.io, Quay, and registry logins (``docker login -p``, docker ``config.json`` auths,
``.npmrc``).

Formats: npm "New npm token format" (``npm_`` + 36, CRC32 checksum like GitHub's); PyPI API tokens
are macaroons serialised as ``pypi-`` + base64 of a message that starts with the location
``pypi.org`` (``AgEIcHlwaS5vcmc``; TestPyPI ``AgENdGVzdC5weXBpLm9yZw``).
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import C, H, M, assigned, table, token

RULES = table(
    "registry",
    [
        (90, "npm-token", "npm access token", token(r"npm_[A-Za-z0-9]{36}"), "npm_", C,
         {"validator": "checksum-crc32-base62"}),
        (91, "npmrc-auth", "Registry credential in .npmrc",
         r"(?:_authToken|_auth|_password)\s*=\s*[\"']?([^\s'\"$]{8,})", "_auth _password", H,
         {"anchored": True, "validator": "npmrc"}),
        (92, "pypi-token", "PyPI API token", token(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", right=r"(?![\w-])"),
         "pypi-ageichlwas5vcmc", C),
        (93, "testpypi-token", "TestPyPI API token",
         token(r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,}", right=r"(?![\w-])"), "pypi-agendgvzdc5wexbplm9yzw", M),
        (94, "rubygems-token", "RubyGems API key", token(r"rubygems_[a-f0-9]{48}"), "rubygems_", H),
        (95, "nuget-api-key", "NuGet API key", token(r"oy2[a-z0-9]{43}"), "oy2", H, {"entropy": 3.5}),
        (96, "dockerhub-token", "Docker Hub access token",
         token(r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,32}", right=r"(?![\w-])"), "dckr_pat_ dckr_oat_", H),
        (97, "artifactory-api-key", "JFrog Artifactory API key", token(r"AKCp[A-Za-z0-9]{69}"), "akcp", H),
        (98, "artifactory-reference-token", "JFrog Artifactory reference token",
         token(r"cmVmdGtu[A-Za-z0-9]{56}"), "cmvmdgtu", H),
        (99, "clojars-token", "Clojars deploy token", token(r"CLOJARS_[a-z0-9]{60}"), "clojars_", H),
        (100, "crates-io-token", "crates.io API token", token(r"cio[a-zA-Z0-9]{32}"), "cio", H,
         {"entropy": 3.5, "validator": "digit-and-letter"}),
        (101, "quay-robot-token", "Quay robot account token", assigned(r"quay", r"[A-Z0-9]{64}"), "quay", H),
        (102, "docker-login-password", "Password on a docker/podman login command line",
         r"(?:docker|podman|buildah|skopeo|helm registry)\s+login\b[^\n]*?\s(?:-p|--password)[= ]\s*[\"']?([^\s'\"]{6,})",
         "login", H),
        (103, "docker-config-auth", "Registry credentials in a Docker config.json",
         r"\"auth\"\s*:\s*\"([A-Za-z0-9+/=]{8,})\"", "\"auth\"", H, {"validator": "base64-user-password"}),
    ],
)  # fmt: skip
