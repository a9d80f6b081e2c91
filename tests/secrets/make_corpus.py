"""Build the labelled corpus in testdata/corpus/ (run: ``.venv/bin/python -m tests.secrets.make_corpus``).

Every secret here is fake: random characters from a seeded generator, shaped to the provider's format
(prefix, alphabet, length, and the CRC32/base62 checksum of GitHub and npm tokens; PEM bodies are DER
SEQUENCE headers followed by random bytes, not keys).  None was ever issued by anyone.

Each true positive is a line that holds one secret (``labels.json``: file, line, the rule that must
find it); each false-positive candidate is a line that a careless scanner would flag and that holds no
secret (placeholders, documented example keys, code that names a password, hashes, UUIDs ...).
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

from stockade.secrets.validate import crc32_base62

OUT = Path(__file__).parent / "testdata" / "corpus"
R = random.Random(20261206)
B62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def s(alphabet: str, n: int) -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


def b62(n: int) -> str:
    return s(B62, n)


def hexs(n: int) -> str:
    return s(HEX, n)


def checksummed(prefix: str) -> str:
    body = b62(30)
    return f"{prefix}{body}{crc32_base62(body)}"


def uuid() -> str:
    return f"{hexs(8)}-{hexs(4)}-4{hexs(3)}-a{hexs(3)}-{hexs(12)}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt() -> str:
    head = b64url(b'{"alg":"RS256","kid":"' + hexs(8).encode() + b'","typ":"JWT"}')
    body = b64url(
        json.dumps({"iss": "https://auth.internal.test", "sub": b62(12), "exp": 1893456000}).encode()
    )
    return f"{head}.{body}.{b64url(R.randbytes(64))}"


def pem(label: str, openssh: bool = False) -> str:
    raw = (
        (b"openssh-key-v1\0\0\0\0\x04none" + R.randbytes(380))
        if openssh
        else (b"\x30\x82\x04\xa4" + R.randbytes(600))
    )
    body = base64.b64encode(raw).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def pw() -> str:
    return s(string.ascii_letters, 5) + s(string.digits, 3) + R.choice("!*._-") + s(string.ascii_letters, 3)


#: rule name → (generator of the secret, line templates it may appear in)
TOKENS: dict[str, Callable[[], str]] = {
    "aws-access-key-id": lambda: "AKIA" + s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "gcp-api-key": lambda: "AIza" + s(B62 + "-_", 35),
    "gcp-oauth-client-secret": lambda: "GOCSPX-" + s(B62 + "-_", 28),
    "google-oauth-access-token": lambda: "ya29." + s(B62 + "-_", 120),
    "azure-ad-client-secret": lambda: s(B62, 3) + "8Q~" + s(B62 + "_~.-", 34),
    "digitalocean-pat": lambda: "dop_v1_" + hexs(64),
    "alibaba-access-key-id": lambda: "LTAI" + b62(20),
    "heroku-api-key-v2": lambda: "HRKU-AA" + s(B62 + "_-", 58),
    "hashicorp-vault-service-token": lambda: "hvs." + s(B62 + "_-", 95),
    "terraform-cloud-token": lambda: b62(14) + ".atlasv1." + s(B62 + "_-", 67),
    "doppler-token": lambda: "dp.pt." + b62(43),
    "pulumi-access-token": lambda: "pul-" + hexs(40),
    "openshift-user-token": lambda: "sha256~" + s(B62 + "_-", 43),
    "databricks-token": lambda: "dapi" + hexs(32),
    "planetscale-token": lambda: "pscale_tkn_" + s(B62 + "_", 43),
    "supabase-token": lambda: "sbp_" + hexs(40),
    "tailscale-key": lambda: "tskey-auth-" + b62(17) + "-" + b62(33),
    "age-secret-key": lambda: "AGE-SECRET-KEY-1" + s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    "github-pat": lambda: checksummed("ghp_"),
    "github-oauth-token": lambda: checksummed("gho_"),
    "github-server-to-server-token": lambda: checksummed("ghs_"),
    "github-fine-grained-pat": lambda: (
        "github_pat_11" + s("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20) + "_" + b62(59)
    ),
    "gitlab-pat": lambda: "glpat-" + s(B62 + "_-", 20),
    "gitlab-runner-token": lambda: "glrt-" + s(B62 + "_-", 20),
    "gitlab-pipeline-trigger-token": lambda: "glptt-" + hexs(40),
    "circleci-token": lambda: "CCIPAT_" + b62(22) + "_" + hexs(40),
    "buildkite-token": lambda: "bkua_" + hexs(40),
    "sonarqube-token": lambda: "squ_" + hexs(40),
    "atlassian-api-token": lambda: "ATATT3" + s(B62 + "_-=", 186),
    "npm-token": lambda: checksummed("npm_"),
    "pypi-token": lambda: "pypi-AgEIcHlwaS5vcmc" + s(B62 + "_-", 150),
    "rubygems-token": lambda: "rubygems_" + hexs(48),
    "dockerhub-token": lambda: "dckr_pat_" + s(B62 + "_-", 27),
    "artifactory-api-key": lambda: "AKCp" + b62(69),
    "slack-bot-token": lambda: f"xoxb-{s(string.digits, 12)}-{s(string.digits, 13)}-{b62(24)}",
    "slack-webhook-url": lambda: (
        f"https://hooks.slack.com/services/T{s(string.ascii_uppercase + string.digits, 8)}/B{s(string.ascii_uppercase + string.digits, 10)}/{b62(24)}"
    ),
    "discord-webhook-url": lambda: (
        f"https://discord.com/api/webhooks/{s(string.digits, 18)}/{s(B62 + '_-', 68)}"
    ),
    "telegram-bot-token": lambda: f"{s(string.digits, 10)}:AA{s(B62 + '_-', 33)}",
    "twilio-api-key": lambda: "SK" + hexs(32),
    "sendgrid-api-key": lambda: f"SG.{s(B62 + '_-', 22)}.{s(B62 + '_-', 43)}",
    "mailchimp-api-key": lambda: hexs(32) + "-us14",
    "brevo-api-key": lambda: "xkeysib-" + hexs(64) + "-" + b62(16),
    "stripe-secret-key": lambda: "sk_live_" + b62(99),
    "stripe-test-key": lambda: "sk_test_" + b62(99),
    "stripe-webhook-secret": lambda: "whsec_" + b62(32),
    "square-oauth-secret": lambda: "sq0csp-" + s(B62 + "_-", 43),
    "razorpay-key-id": lambda: "rzp_live_" + b62(14),
    "shippo-token": lambda: "shippo_live_" + hexs(40),
    "shopify-access-token": lambda: "shpat_" + hexs(32),
    "postman-api-key": lambda: f"PMAK-{hexs(24)}-{hexs(34)}",
    "linear-api-key": lambda: "lin_api_" + b62(40),
    "figma-pat": lambda: "figd_" + s(B62 + "_-", 40),
    "mapbox-secret-token": lambda: "sk.eyJ" + s(B62, 60) + "." + s(B62 + "_-", 22),
    "new-relic-user-key": lambda: "NRAK-" + s(string.ascii_uppercase + string.digits, 27),
    "sentry-user-token": lambda: "sntryu_" + hexs(64),
    "grafana-service-account-token": lambda: f"glsa_{b62(32)}_{hexs(8)}",
    "dynatrace-token": lambda: (
        f"dt0c01.{s(string.ascii_uppercase + string.digits, 24)}.{s(string.ascii_uppercase + string.digits, 64)}"
    ),
    "openai-api-key": lambda: "sk-proj-" + s(B62 + "_-", 40) + "T3BlbkFJ" + s(B62 + "_-", 40),
    "anthropic-api-key": lambda: "sk-ant-api03-" + s(B62 + "_-", 93) + "AA",
    "groq-api-key": lambda: "gsk_" + b62(52),
    "huggingface-token": lambda: "hf_" + s(string.ascii_letters, 34),
    "replicate-token": lambda: "r8_" + b62(37),
    "jwt": jwt,
}
#: rules recognised by their context: (rule, line with {s} for the secret, generator)
CONTEXT: list[tuple[str, str, Callable[[], str]]] = [
    ("aws-secret-access-key", "aws_secret_access_key = {s}", lambda: s(B62 + "/+", 40)),
    ("heroku-api-key", "HEROKU_API_KEY={s}", uuid),
    ("datadog-api-key", 'datadog_api_key: "{s}"', lambda: hexs(32)),
    ("twilio-auth-token", 'TWILIO_AUTH_TOKEN="{s}"', lambda: hexs(32)),
    ("mailgun-api-key", "mailgun_api_key = '{s}'", lambda: "key-" + hexs(32)),
    ("snyk-token", "SNYK_TOKEN={s}", uuid),
    ("facebook-app-secret", 'FACEBOOK_APP_SECRET: "{s}"', lambda: hexs(32)),
    ("algolia-admin-key", "ALGOLIA_ADMIN_KEY={s}", lambda: hexs(32)),
    ("postgres-url-password", 'DATABASE_URL="postgres://app:{s}@db.prod.internal:5432/app"', pw),
    ("mysql-url-password", "url: mysql+pymysql://svc:{s}@10.1.2.3/orders", pw),
    ("mongodb-url-password", 'MONGO_URI = "mongodb+srv://admin:{s}@cluster0.abcde.mongodb.net/test"', pw),
    ("redis-url-password", "REDIS_URL=redis://:{s}@cache.internal:6379/0", pw),
    ("amqp-url-password", "broker_url = 'amqp://worker:{s}@rabbit.internal:5672//'", pw),
    (
        "jdbc-password",
        "spring.datasource.url=jdbc:sqlserver://db.internal:1433;databaseName=ops;user=sa;password={s};",
        pw,
    ),
    (
        "odbc-connection-string-password",
        '"Server=tcp:sql.internal,1433;Database=ops;User Id=ops;Password={s};"',
        pw,
    ),
    ("url-with-password", "git clone https://deploy:{s}@git.corp.internal/team/repo.git", pw),
    ("curl-user-password", "curl -sSf -u admin:{s} https://nexus.corp.internal/service/rest", pw),
    ("netrc-password", "machine api.corp.internal login deploy password {s}", pw),
    ("docker-login-password", "docker login -u ci -p {s} registry.corp.internal", pw),
    (
        "http-basic-auth",
        "Authorization: Basic {s}",
        lambda: base64.b64encode(f"svc:{pw()}".encode()).decode(),
    ),
    (
        "docker-config-auth",
        '{{"auths": {{"registry.corp.internal": {{"auth": "{s}"}}}}}}',
        lambda: base64.b64encode(f"robot:{pw()}".encode()).decode(),
    ),
    ("npmrc-auth", "//registry.corp.internal/:_authToken={s}", lambda: uuid()),
    ("secret-env-assignment", "DB_PASSWORD={s}", pw),
    ("secret-env-assignment", "export SESSION_SECRET={s}", lambda: b62(24)),
    ("secret-env-assignment", "ENV ADMIN_PASSWORD={s}", pw),
    ("password-assignment", 'password = "{s}"', pw),
    ("password-assignment", '  "smtp_password": "{s}",', pw),
    ("password-assignment", "    password: {s}", pw),
    ("generic-secret-assignment", 'client_secret = "{s}"', lambda: b62(32)),
    ("generic-secret-assignment", "  api_key: {s}", lambda: b62(28)),
    (
        "kubeconfig-client-key-data",
        "    client-key-data: {s}",
        lambda: base64.b64encode(pem("RSA PRIVATE KEY").encode()).decode(),
    ),
]
PEMS = [
    ("rsa-private-key", "RSA PRIVATE KEY", False),
    ("ec-private-key", "EC PRIVATE KEY", False),
    ("pkcs8-private-key", "PRIVATE KEY", False),
    ("openssh-private-key", "OPENSSH PRIVATE KEY", True),
]
TEMPLATES = [
    "TOKEN_{n}={s}",
    'token = "{s}"',
    "  value: {s}",
    "export CRED_{n}='{s}'",
    '{{"key": "{s}"}}',
    "curl -H 'X-Auth: {s}' https://api.internal/v1",
]

NEGATIVES = [
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'",
    "token: ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "password = get_password_from_vault()",
    "password: str = Field(..., min_length=12)",
    'password = os.environ["DB_PASSWORD"]',
    "DB_PASSWORD=${DB_PASSWORD}",
    "DB_PASSWORD=<your-password>",
    "API_TOKEN=changeme",
    "SECRET_KEY=xxxxxxxxxxxxxxxxxxxx",
    'password = "password"',
    'api_key = "YOUR_API_KEY_HERE"',
    "PASSWORD_FILE=/run/secrets/db_password",
    "TOKEN_URL=https://auth.example.com/oauth/token",
    "PASSWORD_MIN_LENGTH=12",
    "token_type = 'bearer'",
    "d_grpasswd='define'",
    "i_pwd='define'",
    "PASSWORD_ENCRYPTION=scram-sha-256",
    "password_hash: bcrypt",
    "def check_password(password, hashed):",
    "    if password == confirm_password:",
    '<input type="password" name="password" placeholder="Password">',
    "sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'",
    "request_id = 9f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    "commit = 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "integrity: sha512-Z6bA2+0pNmZl3d0dGvwyZ2M6hM2t5Jw1vQOSqV+2pR1C5d1F0N6gP3bKQnKxQ==",
    "version = '1.2.3-beta.4+build.5'",
    "url = 'https://user:password@example.com/path'",
    "postgres://user:pass@localhost:5432/db",
    "-----BEGIN RSA PRIVATE KEY-----",
    "    ...",
    "-----END RSA PRIVATE KEY-----",
    "-----BEGIN CERTIFICATE-----",
    "key = 'value'",
    "tokenizer = AutoTokenizer.from_pretrained(model_name)",
    "secret_name = 'prod/db/credentials'",
    "auth_header = f'Bearer {token}'",
    "TOKEN=$(cat /run/secrets/token)",
    "export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY",
    "access_token: {{ .Values.token }}",
    "xoxb-not-a-real-token-this-will-not-work",
    "client_secret = 'REDACTED'",
    "password: '********'",
    "api_key = None",
    "session_token = request.headers.get('X-Session-Token')",
    "SK_LIMIT = 32",
    "npm_config_cache = '/tmp/.npm'",
    "hf_hub_download(repo_id, filename)",
    "gsk_version = '1.0'",
    "the key is AIza followed by 35 characters",
    "pypi-token-name = 'ci upload'",
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    labels: list[dict[str, object]] = []
    files: dict[str, list[str]] = {
        "positives.env": [],
        "positives-code.txt": [],
        "positives.yaml": [],
        "negatives.txt": [],
        "negatives-code.txt": [],
    }

    def add(name: str, line: str, rule: str | None) -> None:
        lines = files[name]
        for i, part in enumerate(line.split("\n")):
            lines.append(part)
            if i == 0:
                labels.append({"file": name, "line": len(lines), "rule": rule})

    names = ["positives.env", "positives-code.txt", "positives.yaml"]
    for n, (rule, gen) in enumerate(sorted(TOKENS.items())):
        for k in range(2):
            tpl = TEMPLATES[(n + k) % len(TEMPLATES)]
            add(names[(n + k) % 3], tpl.format(n=n, s=gen()), rule)
    for rule, tpl, gen in CONTEXT:
        for k in range(2):
            add(names[k % 3], tpl.format(s=gen()), rule)
    for rule, label, openssh in PEMS:
        add("positives-code.txt", f"KEY = '''{pem(label, openssh)}'''", rule)
        escaped = pem(label, openssh).replace("\n", "\\n")
        add("positives.yaml", f'  "private_key": "{escaped}\\n",', rule)
    for line in NEGATIVES:
        add("negatives.txt" if len(files["negatives.txt"]) < 30 else "negatives-code.txt", line, None)
    # near misses: formats with a wrong length or alphabet
    for line in [
        "ghp_" + b62(20),
        "AKIA" + s("abcdefgh", 16),
        "xoxb-123",
        "sk_live_short",
        "glpat-" + b62(8),
        "dop_v1_" + hexs(10),
        "hvs." + b62(10),
        "npm_" + b62(12),
        "SG." + b62(10),
    ]:
        add("negatives-code.txt", f"prefix_example = '{line}'", None)
    for name, lines in files.items():
        (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (OUT.parent / "corpus-labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
