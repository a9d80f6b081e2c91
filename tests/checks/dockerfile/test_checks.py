"""Dockerfile checks on realistic fixtures: the exact (id, line) findings of each file, every check with a
failing and a passing fixture, and checks that never raise."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

import stockade.checks.dockerfile as package
from stockade.checks.dockerfile import CHECKS, load_dockerfile, parse_dockerfile
from stockade.checks.dockerfile.model import Dockerfile
from stockade.errors import ParseError
from stockade.model.severity import Severity

TESTDATA = Path(__file__).parent / "testdata"

# fixture -> every finding it must produce, as (check id, line); nothing else may be reported
EXPECTED: dict[str, list[tuple[str, int]]] = {
    "python-app/bad.Dockerfile": [
        ("STK-DF-0002", 2),  # no USER: runs as python's root
        ("STK-DF-0006", 2),  # FROM python (no tag)
        ("STK-DF-0017", 2),  # no HEALTHCHECK
        ("STK-DF-0019", 3),  # MAINTAINER
        ("STK-DF-0014", 4),  # ENV DATABASE_PASSWORD=hunter2
        ("STK-DF-0014", 6),  # ARG PYPI_TOKEN=...
        ("STK-DF-0008", 7),  # apt-get install without =version
        ("STK-DF-0009", 7),  # apt lists kept
        ("STK-DF-0012", 7),  # apt-get upgrade
        ("STK-DF-0018", 9),  # WORKDIR app
        ("STK-DF-0004", 10),  # ADD requirements.txt
        ("STK-DF-0008", 11),  # pip install gunicorn
        ("STK-DF-0011", 11),  # pip without --no-cache-dir
        ("STK-DF-0004", 12),  # ADD . /app
        ("STK-DF-0020", 13),  # chmod -R 777
    ],
    "python-app/good.Dockerfile": [],
    "go-multistage/bad.Dockerfile": [
        ("STK-DF-0007", 1),  # golang:latest
        ("STK-DF-0013", 3),  # curl ... | sh -s --
        ("STK-DF-0017", 9),  # scratch final stage without HEALTHCHECK
        ("STK-DF-0003", 11),  # ADD https://... without --checksum
        ("STK-DF-0001", 12),  # USER 0
    ],
    "go-multistage/good.Dockerfile": [],  # USER root in the builder stage is not the image's user
    "node-app/bad.Dockerfile": [
        ("STK-DF-0017", 1),
        ("STK-DF-0014", 2),  # ARG NPM_TOKEN
        ("STK-DF-0008", 4),  # npm install -g pm2
        ("STK-DF-0008", 4),  # sudo npm install -g typescript@latest
        ("STK-DF-0015", 4),  # sudo
        ("STK-DF-0013", 5),  # bash -c "$(wget -qO- ...)"
        ("STK-DF-0016", 9),  # EXPOSE 22 3000
        ("STK-DF-0001", 10),  # USER root
    ],
    "node-app/good.Dockerfile": [],
    "misc/alpine-bad.Dockerfile": [
        ("STK-DF-0008", 2),  # apk add curl jq
        ("STK-DF-0010", 2),
        ("STK-DF-0010", 3),  # pinned, but without --no-cache
    ],
    "misc/alpine-good.Dockerfile": [],
    "misc/sshd-legacy.Dockerfile": [
        ("STK-DF-0002", 1),
        ("STK-DF-0019", 2),
        ("STK-DF-0016", 5),
    ],
    "misc/heredoc.Dockerfile": [
        ("STK-DF-0013", 3),  # curl | sh inside the RUN <<EOF script; not the one written to a file
    ],
    "misc/stages.Dockerfile": [
        ("STK-DF-0006", 5),  # COPY --from=nginx
        ("STK-DF-0007", 6),  # COPY --from=busybox:latest
        ("STK-DF-0021", 7),  # RUNN
        ("STK-DF-0018", 9),  # WORKDIR data
        ("STK-DF-0020", 11),  # COPY --chmod=666 (1777 on line 10 is a sticky directory)
        ("STK-DF-0005", 12),  # ADD rootfs.tar.gz extracts it
        ("STK-DF-0004", 13),  # ADD config.yaml
        ("STK-DF-0020", 18),  # chmod o+w
    ],
}

# check id -> a fixture with the construct the check looks at, where it must not fire
PASSING: dict[str, str] = {
    "STK-DF-0001": "go-multistage/good.Dockerfile",  # USER root in the builder, USER 65534 at the end
    "STK-DF-0002": "misc/stages.Dockerfile",  # the final stage inherits USER app from its FROM stage
    "STK-DF-0003": "go-multistage/good.Dockerfile",  # ADD --checksum=... https://...
    "STK-DF-0004": "python-app/good.Dockerfile",  # COPY
    "STK-DF-0005": "misc/alpine-good.Dockerfile",
    "STK-DF-0006": "go-multistage/good.Dockerfile",  # ${GO_VERSION} from a global ARG; scratch; stages
    "STK-DF-0007": "python-app/good.Dockerfile",  # digest-pinned
    "STK-DF-0008": "misc/alpine-good.Dockerfile",  # pkg=1.2-r0, pkg~0.19
    "STK-DF-0009": "python-app/good.Dockerfile",  # rm -rf /var/lib/apt/lists/* in the same RUN
    "STK-DF-0010": "misc/alpine-good.Dockerfile",  # --no-cache, or a cache mount
    "STK-DF-0011": "python-app/good.Dockerfile",  # ENV PIP_NO_CACHE_DIR=1
    "STK-DF-0012": "python-app/good.Dockerfile",
    "STK-DF-0013": "python-app/good.Dockerfile",  # "curl ... | sh" inside an echo string
    "STK-DF-0014": "python-app/good.Dockerfile",  # DB_PASSWORD_FILE=/run/..., SECRET_KEY=$SECRET_KEY
    "STK-DF-0015": "node-app/good.Dockerfile",
    "STK-DF-0016": "node-app/good.Dockerfile",  # EXPOSE 3000
    "STK-DF-0017": "misc/sshd-legacy.Dockerfile",  # HEALTHCHECK NONE is explicit
    "STK-DF-0018": "python-app/good.Dockerfile",
    "STK-DF-0019": "node-app/good.Dockerfile",
    "STK-DF-0020": "misc/heredoc.Dockerfile",  # chmod 0755
    "STK-DF-0021": "python-app/good.Dockerfile",
}


def _load(name: str) -> Dockerfile:
    path = TESTDATA / name
    return load_dockerfile(path.read_bytes(), name)


def findings(df: Dockerfile) -> list[tuple[str, int]]:
    out = []
    for check in CHECKS:
        for violation in check().check(df):
            assert violation.line is not None
            out.append((check.ID, violation.line))
    return sorted(out, key=lambda f: (f[1], f[0]))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings(name: str) -> None:
    assert findings(_load(name)) == sorted(EXPECTED[name], key=lambda f: (f[1], f[0]))


def test_every_fixture_is_in_the_table() -> None:
    on_disk = {
        str(p.relative_to(TESTDATA)) for p in TESTDATA.rglob("*.Dockerfile") if p.parent.name != "parser"
    }
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.ID)
def test_every_check_fails_and_passes_a_fixture(check: type) -> None:
    failing = [name for name, found in EXPECTED.items() if any(i == check.ID for i, _ in found)]
    assert failing, f"{check.ID} has no failing fixture"
    passing = PASSING[check.ID]
    assert all(i != check.ID for i, _ in EXPECTED[passing])
    assert not list(check().check(_load(passing)))


def test_check_metadata() -> None:
    ids = [c.ID for c in CHECKS]
    assert ids == sorted(ids) == [f"STK-DF-{n:04d}" for n in range(1, len(CHECKS) + 1)]
    assert len({c.NAME for c in CHECKS}) == len(CHECKS)
    doc = package.__doc__ or ""
    for check in CHECKS:
        assert check.NAME.startswith("dockerfile/")
        assert isinstance(check.SEVERITY, Severity)
        assert check.TITLE and check.RATIONALE and check.REMEDIATION and check.REFERENCES
        row = re.search(rf"^{check.ID.removeprefix('STK-')}\s+{re.escape(check.NAME)}\s+(\w+)", doc, re.M)
        assert row, f"{check.ID} missing from the table in the package docstring"
        assert row.group(1) == check.SEVERITY.value


def test_secret_values_never_reach_the_finding() -> None:
    df = _load("python-app/bad.Dockerfile")
    check = next(c for c in CHECKS if c.ID == "STK-DF-0014")
    for violation in check().check(df):
        assert "hunter2" not in violation.message + violation.evidence
        assert "pypi-AgEI" not in violation.message + violation.evidence


# small Dockerfiles for behaviour the fixtures do not show: (text, check id, expected lines)
CASES: list[tuple[str, str, list[int]]] = [
    (
        "FROM a:1\nUSER app\nFROM a:1\n",
        "STK-DF-0002",
        [3],
    ),  # a USER in another (builder) stage does not count
    ("FROM a:1 AS b\nUSER root\nFROM b\n", "STK-DF-0001", [2]),  # inherited from the stage FROM builds on
    ("FROM a:1 AS b\nUSER root\nFROM b\nUSER 1000\n", "STK-DF-0001", []),
    ("ARG U=root\nFROM a:1\nARG U\nUSER $U\n", "STK-DF-0001", []),  # global ARG not redeclared with a value
    ("FROM a:1\nARG U=0\nUSER ${U}:0\n", "STK-DF-0001", [3]),
    ("FROM gcr.io/distroless/static:nonroot\n", "STK-DF-0002", []),
    ("FROM a@sha256:" + "0" * 64 + "\n", "STK-DF-0006", []),
    ("FROM localhost:5000/team/app\n", "STK-DF-0006", [1]),  # the port is not a tag
    ("FROM localhost:5000/team/app:latest@sha256:" + "0" * 64 + "\n", "STK-DF-0007", []),
    ("FROM scratch\n", "STK-DF-0006", []),
    ("ARG TAG\nFROM alpine:$TAG\n", "STK-DF-0006", []),
    ("FROM a:1\nRUN apt-get install -y ./local.deb /tmp/x.deb\n", "STK-DF-0008", []),
    ("FROM a:1\nRUN pip install . ./pkg /w/x-1.0-py3-none-any.whl git+https://x/y.git\n", "STK-DF-0008", []),
    ("FROM a:1\nRUN pip install -c constraints.txt flask\n", "STK-DF-0008", []),
    ("FROM a:1\nRUN python3 -m pip install 'flask>=2'\n", "STK-DF-0008", [2]),
    ("FROM a:1\nRUN pip install 'flask[async]==3.0.3' pkg@https://x/p.whl\n", "STK-DF-0008", []),
    ("FROM a:1\nRUN npm install -g @scope/tool && npm i -g @scope/ok@1.2.3\n", "STK-DF-0008", [2]),
    ("FROM a:1\nRUN npm ci && npm install\n", "STK-DF-0008", []),
    ("FROM a:1\nRUN gem install rails -v 7.1.3 && gem install puma:6.4.2 ./local.gem\n", "STK-DF-0008", []),
    ("FROM a:1\nRUN gem install bundler\n", "STK-DF-0008", [2]),
    ("FROM a:1\nRUN apt-get -o Acquire::Retries=3 install -y tzdata\n", "STK-DF-0008", [2]),
    ("FROM a:1\nRUN echo 'apt-get install curl'\n", "STK-DF-0008", []),
    (
        "FROM a:1\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y x=1\n",
        "STK-DF-0009",
        [],
    ),
    ("FROM a:1 AS build\nRUN apt-get update && apt-get install -y x=1\nFROM a:1\n", "STK-DF-0009", []),
    ("FROM a:1\nRUN apt-get update\nRUN rm -rf /var/lib/apt/lists/*\n", "STK-DF-0009", [2]),  # too late
    ("FROM a:1\nRUN apk update && apk add --no-cache x=1 && rm -rf /var/cache/apk/*\n", "STK-DF-0010", []),
    ("FROM a:1\nRUN pip install --no-cache-dir x==1\n", "STK-DF-0011", []),
    ("FROM a:1\nRUN --mount=type=cache,target=/root/.cache/pip pip install x==1\n", "STK-DF-0011", []),
    ("FROM a:1\nENV PIP_NO_CACHE_DIR=0\nRUN pip install x==1\n", "STK-DF-0011", [3]),
    ("FROM a:1\nRUN apt-get dist-upgrade -y && apt full-upgrade\n", "STK-DF-0012", [2, 2]),
    ("FROM a:1\nRUN wget -qO- https://x/i.sh | sudo bash\n", "STK-DF-0013", [2]),
    ('FROM a:1\nRUN sh -c "$(curl -fsSL https://x/i.sh)"\n', "STK-DF-0013", [2]),
    ("FROM a:1\nRUN bash <(curl -fsSL https://x/i.sh)\n", "STK-DF-0013", [2]),
    ("FROM a:1\nRUN curl -fsSL https://x/app.tgz | tar -xz -C /opt\n", "STK-DF-0013", []),
    (
        "FROM a:1\nRUN curl -fsSLo i.sh https://x/i.sh && sha256sum -c i.sha256 && sh i.sh\n",
        "STK-DF-0013",
        [],
    ),
    ('FROM a:1\nRUN ["/bin/sh", "-c", "curl https://x | sh"]\n', "STK-DF-0013", [2]),
    ("FROM a:1\nRUN <<EOF bash\ncurl https://x | bash\nEOF\n", "STK-DF-0013", [2]),
    ("FROM a:1\nRUN <<EOF\n#!/usr/bin/env python3\nprint('curl x | sh')\nEOF\n", "STK-DF-0013", []),
    ("FROM a:1\nENV API_KEY=abc123 TOKENIZERS_PARALLELISM=false GITHUB_TOKEN=\n", "STK-DF-0014", [2]),
    ("FROM a:1\nENV AWS_SECRET_ACCESS_KEY wJalrXUtnFEMI/K7MDENG\n", "STK-DF-0014", [2]),
    (
        "FROM a:1\nARG PRIVATE_KEY\nENV SSH_PRIVATE_KEY_PATH=/run/secrets/key PASSWORD=${PASSWORD}\n",
        "STK-DF-0014",
        [],
    ),
    ("FROM a:1\nRUN echo sudo is not run && env sudo=1 true\n", "STK-DF-0015", []),
    ("FROM a:1\nRUN if true; then sudo -u app make install; fi\n", "STK-DF-0015", [2]),
    ("FROM a:1\nEXPOSE 20-25/tcp\n", "STK-DF-0016", [2]),
    ("FROM a:1\nEXPOSE 22/udp 2222\n", "STK-DF-0016", []),
    ("FROM a:1 AS build\nEXPOSE 22\nFROM a:1\n", "STK-DF-0016", []),  # not in the final image
    ("FROM a:1 AS base\nHEALTHCHECK NONE\nFROM base\n", "STK-DF-0017", []),
    ("FROM a:1 AS base\nHEALTHCHECK CMD true\nFROM a:1\n", "STK-DF-0017", [3]),
    ('FROM a:1\nWORKDIR "/app"\nWORKDIR $HOME/x\nWORKDIR C:\\\\app\n', "STK-DF-0018", []),
    ("FROM a:1\nRUN chmod 1777 /tmp && chmod u+w,g+w x && chmod 0775 y\n", "STK-DF-0020", []),
    ("FROM a:1\nRUN chmod a+rwx /x\n", "STK-DF-0020", [2]),
    ("FROM a:1\nRUN find / -type d -exec chmod 777 {} +\n", "STK-DF-0020", []),  # not analysed: a limit
    ("FROM a:1\nADD https://x/a.tar.gz /opt/\n", "STK-DF-0005", []),  # a remote archive is not extracted
    ("FROM a:1\nADD https://x/a.tar.gz /opt/\n", "STK-DF-0003", [2]),
    ("FROM a:1\nADD git@github.com:moby/buildkit.git /src\n", "STK-DF-0003", [2]),
    ("FROM a:1\nADD <<EOF /etc/x\nhello\nEOF\n", "STK-DF-0004", [2]),
    ("FROM a:1\nONBUILD RUN x\nFOO bar\n", "STK-DF-0021", [3]),
]


@pytest.mark.parametrize(("text", "check_id", "lines"), CASES)
def test_cases(text: str, check_id: str, lines: list[int]) -> None:
    check = {c.ID: c for c in CHECKS}[check_id]
    df = parse_dockerfile(text, "Dockerfile")
    assert sorted(v.line or 0 for v in check().check(df)) == lines


_PIECES = [
    "RUN apt-get update && apt-get install -y curl",
    "RUN curl -fsSL x | sh",
    'RUN sh -c "$(',
    "RUN `",
    "RUN '",
    'RUN "',
    "RUN $(",
    "RUN <<EOF\n$(curl x\nEOF",
    "RUN ((((",
    "RUN chmod",
    "RUN chmod -R",
    "RUN pip install",
    "RUN npm i -g @",
    "RUN gem install -v",
    "RUN apk add --virtual",
    "USER",
    "USER :",
    "USER ${",
    "ENV X=${",
    "ARG =",
    "WORKDIR ''",
    "EXPOSE -",
    "EXPOSE 99999999999999999999",
    "ADD a",
    "COPY --from= a b",
    "COPY --chmod= a b",
    "COPY --chmod=7777777 a b",
    "FROM $",
    "FROM ${",
    "FROM a@",
    "FROM :",
    "RUN --mount=type=cache a",
    "RUN --mount=,,,== a",
    'HEALTHCHECK CMD [""]',
    "RUN sudo",
    "RUN env -u",
    "RUN python -m",
    'RUN ["sh", "-c"]',
    "RUN <<EOF bash -c\nEOF",
]


def test_checks_never_raise() -> None:
    rng = random.Random(7)
    parsed = 0
    for _ in range(600):
        body = "\n".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5)))
        text = (
            rng.choice(["", "ARG A\n", "# escape=`\n"])
            + "FROM a\n"
            + body
            + "\n"
            + rng.choice(["", "FROM a"])
        )
        try:
            df = parse_dockerfile(text, "fuzz")
        except ParseError:
            continue
        parsed += 1
        for check in CHECKS:
            for violation in check().check(df):
                assert isinstance(violation.line, int)
    assert parsed > 300
