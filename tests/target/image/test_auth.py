"""Registry credentials from containers-auth.json(5) and docker config.json files."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from stockade.errors import InputError
from stockade.target.image.auth import (
    AuthLookup,
    Credentials,
    auth_file_candidates,
    find_credentials,
    normalize_key,
)

SECRET = "t0p-s3cret-pw"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def entry(user: str, password: str = SECRET) -> dict[str, str]:
    return {"auth": b64(f"{user}:{password}")}


def write(path: Path, doc: Any) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "REGISTRY_AUTH_FILE": str(tmp_path / "explicit.json"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "DOCKER_CONFIG": str(tmp_path / "dockercfg"),
    }


def lookup(tmp_path: Path, env: dict[str, str], host: str, repo: str | None = None) -> AuthLookup:
    return find_credentials(host, repo, env=env, home=tmp_path / "home")


def test_candidates_in_order(tmp_path: Path, env: dict[str, str]) -> None:
    home = tmp_path / "home"
    assert auth_file_candidates(env, home) == [
        str(tmp_path / "explicit.json"),
        str(tmp_path / "run" / "containers" / "auth.json"),
        str(home / ".config" / "containers" / "auth.json"),
        str(tmp_path / "dockercfg" / "config.json"),
    ]
    assert auth_file_candidates({}, home) == [
        str(home / ".config" / "containers" / "auth.json"),
        str(home / ".docker" / "config.json"),
    ]


def test_search_order_first_file_with_an_entry_wins(tmp_path: Path, env: dict[str, str]) -> None:
    paths = auth_file_candidates(env, tmp_path / "home")
    for i, path in enumerate(paths):
        write(Path(path), {"auths": {"reg.example.com": entry(f"user{i}")}})
    for i, path in enumerate(paths):
        found = lookup(tmp_path, env, "reg.example.com")
        assert found.credentials == Credentials(f"user{i}", SECRET, path)
        Path(path).unlink()
    assert lookup(tmp_path, env, "reg.example.com").credentials is None


def test_a_file_without_the_host_falls_through(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "explicit.json", {"auths": {"other.example.com": entry("x")}})
    docker = write(tmp_path / "dockercfg" / "config.json", {"auths": {"reg.example.com": entry("d")}})
    found = lookup(tmp_path, env, "reg.example.com")
    assert found.credentials == Credentials("d", SECRET, docker)


@pytest.mark.parametrize(
    ("key", "host", "repo", "matches"),
    [
        ("reg.example.com", "reg.example.com", None, True),
        ("REG.example.com", "reg.example.com", None, True),
        ("reg.example.com:5000", "reg.example.com:5000", None, True),
        ("reg.example.com:5000", "reg.example.com", None, False),
        ("reg.example.com", "reg.example.com:5000", None, False),
        ("https://reg.example.com/v1/", "reg.example.com", None, True),
        ("http://localhost:5000", "localhost:5000", None, True),
        ("https://index.docker.io/v1/", "docker.io", "library/alpine", True),
        ("index.docker.io", "docker.io", None, True),
        ("registry-1.docker.io", "docker.io", None, True),
        ("docker.io", "index.docker.io", None, True),
        ("quay.io/org", "quay.io", "org/app", True),
        ("quay.io/org/app", "quay.io", "org/app", True),
        ("quay.io/org/", "quay.io", "org/app", True),
        ("quay.io/other", "quay.io", "org/app", False),
        ("quay.io/org/app/sub", "quay.io", "org/app", False),
        ("quay.io/org", "quay.io", None, False),
    ],
)
def test_key_forms(
    tmp_path: Path, env: dict[str, str], key: str, host: str, repo: str | None, matches: bool
) -> None:
    write(tmp_path / "explicit.json", {"auths": {key: entry("u")}})
    assert (lookup(tmp_path, env, host, repo).credentials is not None) is matches


def test_most_specific_namespace_wins(tmp_path: Path, env: dict[str, str]) -> None:
    auths = {"quay.io": entry("host"), "quay.io/org": entry("ns"), "quay.io/org/app": entry("repo")}
    write(tmp_path / "explicit.json", {"auths": auths})
    assert lookup(tmp_path, env, "quay.io", "org/app").credentials.username == "repo"  # type: ignore[union-attr]
    assert lookup(tmp_path, env, "quay.io", "org/other").credentials.username == "ns"  # type: ignore[union-attr]
    assert lookup(tmp_path, env, "quay.io", "x/y").credentials.username == "host"  # type: ignore[union-attr]


def test_username_password_keys_and_colons_in_password(tmp_path: Path, env: dict[str, str]) -> None:
    write(
        tmp_path / "explicit.json",
        {
            "auths": {
                "a.example": {"username": "bob", "password": "p:w"},
                "b.example": entry("carol", "x:y:z"),
            }
        },
    )
    assert lookup(tmp_path, env, "a.example").credentials == Credentials(
        "bob", "p:w", env["REGISTRY_AUTH_FILE"]
    )
    assert lookup(tmp_path, env, "b.example").credentials == Credentials(
        "carol", "x:y:z", env["REGISTRY_AUTH_FILE"]
    )


def test_credential_helpers_are_reported_not_run(tmp_path: Path, env: dict[str, str]) -> None:
    docker = write(
        tmp_path / "dockercfg" / "config.json",
        {"auths": {"reg.example.com": {}}, "credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}},
    )
    found = lookup(tmp_path, env, "gcr.io")
    assert found.credentials is None
    assert found.notes == (
        f"{docker}: credentials for gcr.io are kept by credential helper 'gcloud' "
        "(credHelpers), which is not supported",
    )
    found = lookup(tmp_path, env, "reg.example.com")
    assert found.credentials is None
    assert len(found.notes) == 1
    assert "credential store 'desktop' (credsStore)" in found.notes[0]
    assert "not supported" in found.notes[0]
    # a helper in one file does not hide plain credentials in a later one, but is still reported
    write(tmp_path / "home" / ".config" / "containers" / "auth.json", {"credHelpers": {"gcr.io": "x"}})
    write(tmp_path / "dockercfg" / "config.json", {"auths": {"gcr.io": entry("u")}})
    found = lookup(tmp_path, env, "gcr.io")
    assert found.credentials is not None and found.credentials.username == "u"
    assert "credential helper 'x'" in found.notes[0]


def test_credentials_with_a_store_are_used(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "explicit.json", {"auths": {"r.example": entry("u")}, "credsStore": "pass"})
    found = lookup(tmp_path, env, "r.example")
    assert found.credentials is not None and found.notes == ()


def test_identity_token_is_reported(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "explicit.json", {"auths": {"r.example": {"identitytoken": "abc"}}})
    found = lookup(tmp_path, env, "r.example")
    assert found.credentials is None
    assert "identity token, which is not supported" in found.notes[0]


def test_describe_names_files_and_never_the_password(tmp_path: Path, env: dict[str, str]) -> None:
    found = lookup(tmp_path, env, "r.example")
    text = found.describe()
    assert text.startswith("no credentials for r.example found (looked in: ")
    for path in found.searched:
        assert f"{path} (missing)" in text
    path = write(tmp_path / "explicit.json", {"auths": {"r.example": entry("u")}})
    found = lookup(tmp_path, env, "r.example")
    assert found.describe() == f"credentials for user 'u' from {path}"
    assert SECRET not in repr(found) and SECRET not in found.describe()
    assert AuthLookup.given("r", "u", SECRET).describe() == "credentials for user 'u' (given explicitly)"
    assert AuthLookup.anonymous("r").describe() == "no credentials were given"


MALFORMED = [
    ("{", "line 1, column 2: invalid JSON"),
    ("[]", "the top level must be a JSON object, not list"),
    ('{"auths": []}', "'auths' must be an object, not list"),
    ('{"auths": {"r.example": "x"}}', "auths['r.example'] must be an object, not str"),
    ('{"auths": {"r.example": {"auth": "%%%"}}}', "auths['r.example'].auth is not valid base64"),
    ('{"auths": {"r.example": {"auth": 5}}}', "auths['r.example'].auth must be a string, not int"),
    (json.dumps({"auths": {"r.example": {"auth": b64("u" + SECRET)}}}), "does not decode to USER:PASSWORD"),
    ('{"auths": {"r.example": {"username": ["u"]}}}', "auths['r.example'].username must be a string"),
    ('{"credHelpers": []}', "'credHelpers' must be an object"),
    ('{"credsStore": 1}', "credsStore must be a string"),
    (b"\xff\xfe".decode("latin-1"), "invalid JSON"),
]


@pytest.mark.parametrize(("content", "reason"), MALFORMED)
def test_malformed_files(tmp_path: Path, env: dict[str, str], content: str, reason: str) -> None:
    path = write(tmp_path / "explicit.json", content)
    with pytest.raises(InputError) as info:
        lookup(tmp_path, env, "r.example")
    message = info.value.message
    assert message.startswith(f"failed to parse registry credentials file: {path}: ")
    assert reason in message
    assert SECRET not in message and b64("u" + SECRET) not in message


def test_not_utf8(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "explicit.json").write_bytes(b'{"auths": {"\xff": {}}}')
    with pytest.raises(InputError, match="not UTF-8 text"):
        lookup(tmp_path, env, "r.example")


def test_unreadable_file(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "explicit.json").mkdir()
    with pytest.raises(InputError, match="cannot read registry credentials file"):
        lookup(tmp_path, env, "r.example")


def test_normalize_key() -> None:
    assert normalize_key("https://index.docker.io/v1/") == "docker.io"
    assert normalize_key("http://Reg.Example.com:5000/v2/") == "reg.example.com:5000"
    assert normalize_key("quay.io/org/") == "quay.io/org"
