"""Monitoring and incident tools: Datadog, New Relic, Sentry, Grafana, Dynatrace, Honeycomb,
LaunchDarkly, Splunk, PagerDuty, Opsgenie, Bugsnag, Rollbar."""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import UUID, H, M, assigned, table, token

RULES = table(
    "observability",
    [
        (200, "datadog-api-key", "Datadog API key",
         assigned(r"datadog[\w.-]{0,20}?api|dd[_-]?api[_-]?key", r"[a-f0-9]{32}"), "datadog dd_api dd-api", H),
        (201, "datadog-app-key", "Datadog application key",
         assigned(r"datadog[\w.-]{0,20}?app|dd[_-]?app(?:lication)?[_-]?key", r"[a-f0-9]{40}"),
         "datadog dd_app dd-app", H),
        (202, "new-relic-user-key", "New Relic user API key", token(r"NRAK-[A-Z0-9]{27}"), "nrak-", H),
        (203, "new-relic-browser-key", "New Relic browser API key", token(r"NRJS-[a-f0-9]{19}"), "nrjs-", M),
        (204, "new-relic-insert-key", "New Relic insert key", token(r"NRII-[A-Za-z0-9_-]{32}", right=r"(?![\w-])"),
         "nrii-", H),
        (205, "new-relic-license-key", "New Relic license key", token(r"[a-f0-9]{36}NRAL"), "nral", H),
        (206, "sentry-org-token", "Sentry organisation auth token",
         token(r"sntrys_eyJ[A-Za-z0-9+/=_-]{80,}", right=r"(?![\w+/=-])"), "sntrys_", H),
        (207, "sentry-user-token", "Sentry user auth token", token(r"sntryu_[a-f0-9]{64}"), "sntryu_", H),
        (208, "grafana-cloud-token", "Grafana Cloud access policy token",
         token(r"glc_[A-Za-z0-9+/]{32,400}={0,2}", right=r"(?![A-Za-z0-9+/=])"), "glc_", H),
        (209, "grafana-service-account-token", "Grafana service account token",
         token(r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"), "glsa_", H),
        (210, "grafana-api-key", "Grafana API key", token(r"eyJrIjoi[A-Za-z0-9]{70,400}={0,2}",
                                                          right=r"(?![A-Za-z0-9=])"), "eyjrijoi", H),
        (211, "dynatrace-token", "Dynatrace API token", token(r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}"), "dt0c01.", H),
        (212, "honeycomb-api-key", "Honeycomb API key", assigned(r"honeycomb", r"[A-Za-z0-9]{22}|[a-f0-9]{32}"),
         "honeycomb", H, {"entropy": 3.3}),
        (213, "launchdarkly-key", "LaunchDarkly SDK or API key",
         assigned(r"launchdarkly|ld[_-]?(?:sdk|api)", r"(?:api|sdk|mob)-" + UUID), "launchdarkly ld_sdk ld_api", H),
        (214, "splunk-hec-token", "Splunk HTTP Event Collector token", assigned(r"splunk|hec[_-]?token", UUID),
         "splunk hec_token hec-token", H),
        (215, "pagerduty-token", "PagerDuty API token", assigned(r"pagerduty", r"[A-Za-z0-9_+-]{20}"), "pagerduty",
         H, {"entropy": 3.5}),
        (216, "opsgenie-api-key", "Opsgenie API key", assigned(r"opsgenie", UUID), "opsgenie", H),
        (217, "bugsnag-api-key", "Bugsnag API key", assigned(r"bugsnag", r"[a-f0-9]{32}"), "bugsnag", M),
        (218, "rollbar-token", "Rollbar access token", assigned(r"rollbar", r"[a-f0-9]{32}"), "rollbar", H),
    ],
)  # fmt: skip
