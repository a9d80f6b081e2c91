"""Source forges and CI systems: GitHub, GitLab, Bitbucket, Atlassian, CircleCI, Travis CI, Buildkite,
Drone, Jenkins, SonarQube, Snyk, Codecov, Harness, Octopus Deploy.

Formats: GitHub "Behind GitHub's new authentication token formats" (2021: ``ghp_``/``gho_``/``ghu_``/
``ghs_``/``ghr_`` + 30 random base62 + 6 characters of CRC32 checksum; ``github_pat_`` + 82);
GitLab "Token prefixes" (docs.gitlab.com/security/tokens/): glpat-, gldt-, glrt-, GR1348941, glptt-,
glcbt-, gloas-, glft-, glimt-, glagent-, glsoat-, glffct-.
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import UUID, C, H, M, assigned, table, token

_GH = {
    "validator": "checksum-crc32-base62",
    "references": (
        "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/",
    ),
}
_GL = {"references": ("https://docs.gitlab.com/security/tokens/",)}
_DASH = r"(?![\w-])"

RULES = table(
    "forge-ci",
    [
        (50, "github-pat", "GitHub personal access token (classic)", token(r"ghp_[0-9A-Za-z]{36}"), "ghp_", C, _GH),
        (51, "github-oauth-token", "GitHub OAuth access token", token(r"gho_[0-9A-Za-z]{36}"), "gho_", C, _GH),
        (52, "github-user-to-server-token", "GitHub App user-to-server token", token(r"ghu_[0-9A-Za-z]{36}"),
         "ghu_", H, _GH),
        (53, "github-server-to-server-token", "GitHub App installation token", token(r"ghs_[0-9A-Za-z]{36}"),
         "ghs_", H, _GH),
        (54, "github-refresh-token", "GitHub refresh token", token(r"ghr_[0-9A-Za-z]{36,76}"), "ghr_", H, _GH),
        (55, "github-fine-grained-pat", "GitHub fine-grained personal access token",
         token(r"github_pat_[0-9A-Za-z_]{82}"), "github_pat_", C),
        (56, "github-app-client-secret", "GitHub OAuth App client secret",
         assigned(r"github[\w.-]{0,20}?(?:client[_-]?)?secret", r"[a-f0-9]{40}"), "github", H),
        (57, "gitlab-pat", "GitLab personal access token",
         token(r"glpat-[0-9A-Za-z_-]{20}[0-9A-Za-z_.-]{0,40}", right=r"(?![\w.-])"), "glpat-", C, _GL),
        (58, "gitlab-deploy-token", "GitLab deploy token", token(r"gldt-[0-9A-Za-z_-]{20,}", right=_DASH),
         "gldt-", H, _GL),
        (59, "gitlab-runner-token", "GitLab runner authentication token",
         token(r"glrt-[0-9A-Za-z_.-]{20,}", right=r"(?![\w.-])"), "glrt-", H, _GL),
        (60, "gitlab-runner-registration-token", "GitLab runner registration token",
         token(r"GR1348941[0-9A-Za-z_-]{20}", right=_DASH), "gr1348941", H, _GL),
        (61, "gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", token(r"glptt-[0-9a-f]{40}"),
         "glptt-", H, _GL),
        (62, "gitlab-ci-build-token", "GitLab CI/CD job token",
         token(r"glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}", right=_DASH), "glcbt-", M, _GL),
        (63, "gitlab-oauth-app-secret", "GitLab OAuth application secret",
         token(r"gloas-[0-9a-zA-Z_-]{64}", right=_DASH), "gloas-", H, _GL),
        (64, "gitlab-feed-token", "GitLab feed token", token(r"glft-[0-9a-zA-Z_-]{20}", right=_DASH), "glft-", M, _GL),
        (65, "gitlab-incoming-mail-token", "GitLab incoming mail token",
         token(r"glimt-[0-9a-zA-Z_-]{25}", right=_DASH), "glimt-", M, _GL),
        (66, "gitlab-agent-token", "GitLab agent for Kubernetes token",
         token(r"glagent-[0-9a-zA-Z_-]{50}", right=_DASH), "glagent-", H, _GL),
        (67, "gitlab-scim-token", "GitLab SCIM OAuth token", token(r"glsoat-[0-9a-zA-Z_-]{20}", right=_DASH),
         "glsoat-", H, _GL),
        (68, "gitlab-feature-flag-token", "GitLab feature flags client token",
         token(r"glffct-[0-9a-zA-Z_-]{20}", right=_DASH), "glffct-", M, _GL),
        (69, "bitbucket-client-secret", "Bitbucket client secret",
         assigned(r"bitbucket", r"[A-Za-z0-9=_-]{64}"), "bitbucket", H, {"entropy": 3.5}),
        (70, "bitbucket-app-password", "Bitbucket app password / API token",
         token(r"ATBB[A-Za-z0-9_=.-]{32}", right=r"(?![\w=.-])"), "atbb", H, {"entropy": 3.5}),
        (71, "atlassian-api-token", "Atlassian API token",
         token(r"ATATT3[A-Za-z0-9_=-]{186}", right=r"(?![\w=-])"), "atatt3", H),
        (72, "atlassian-legacy-api-token", "Atlassian API token (legacy)",
         assigned(r"atlassian|confluence|jira", r"[A-Za-z0-9]{24}"), "atlassian confluence jira", H,
         {"entropy": 3.5, "validator": "digit-and-letter"}),
        (73, "circleci-token", "CircleCI personal or project API token",
         token(r"CCIP(?:AT|RJ)_[A-Za-z0-9]{22}_[a-f0-9]{40}"), "ccipat_ cciprj_", H),
        (74, "travis-ci-token", "Travis CI access token", assigned(r"travis", r"[A-Za-z0-9]{22}"), "travis", H,
         {"entropy": 3.5, "validator": "digit-and-letter"}),
        (75, "buildkite-token", "Buildkite API access token", token(r"bkua_[a-f0-9]{40}"), "bkua_", H),
        (76, "drone-ci-token", "Drone CI access token", assigned(r"drone", r"[A-Za-z0-9]{32}"), "drone", H,
         {"entropy": 3.5, "validator": "digit-and-letter"}),
        (77, "jenkins-api-token", "Jenkins API token", assigned(r"jenkins", r"[a-f0-9]{34}"), "jenkins", H),
        (78, "sonarqube-token", "SonarQube / SonarCloud token", token(r"(?:squ|sqp|sqa)_[a-f0-9]{40}"),
         "squ_ sqp_ sqa_", H),
        (79, "snyk-token", "Snyk API token", assigned(r"snyk", UUID), "snyk", H),
        (80, "codecov-token", "Codecov upload token", assigned(r"codecov", UUID), "codecov", M),
        (81, "harness-pat", "Harness personal access token",
         token(r"pat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}"), "pat.", H),
        (82, "octopus-deploy-api-key", "Octopus Deploy API key", token(r"API-[A-Z0-9]{26}", right=_DASH), "api-",
         H, {"entropy": 3.0, "validator": "digit-and-letter"}),
    ],
)  # fmt: skip
