"""Chat, messaging and e-mail APIs: Slack, Discord, Telegram, Microsoft Teams, Twitter/X, Facebook,
Mattermost, Twilio, SendGrid, Mailgun, Mailchimp, Brevo, Postmark, Mailjet, MessageBird, Vonage.

Formats: Slack "Token types" (xoxb-/xoxp-/xoxe-/xapp-, incoming webhooks under hooks.slack.com);
Telegram Bot API tokens (``<bot id>:AA`` + 33); SendGrid keys (``SG.`` + 22 + ``.`` + 43).
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import UUID, C, H, M, assigned, table, token

RULES = table(
    "chat",
    [
        (110, "slack-bot-token", "Slack bot token", token(r"xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34}"),
         "xoxb-", H),
        (111, "slack-user-token", "Slack user token",
         token(r"xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9-]{28,34}", right=r"(?![\w-])"), "xoxp- xoxe-", H),
        (112, "slack-app-token", "Slack app-level token", token(r"xapp-\d-[A-Z0-9]{9,11}-\d{10,14}-[a-f0-9]{64}"),
         "xapp-", H),
        (113, "slack-config-token", "Slack configuration token", token(r"xoxe\.xox[bp]-\d-[A-Z0-9]{163,166}"),
         "xoxe.xox", H),
        (114, "slack-legacy-token", "Slack legacy token", token(r"xox[aros]-(?:\d+-)+[a-z0-9]{8,48}"),
         "xoxa- xoxr- xoxo- xoxs-", H, {"entropy": 3.0}),
        (115, "slack-webhook-url", "Slack incoming webhook URL",
         r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{40,})", "hooks.slack.com", H),
        (116, "discord-bot-token", "Discord bot token",
         assigned(r"discord", r"[MNO][A-Za-z\d_-]{23,25}\.[\w-]{6}\.[\w-]{27,38}"), "discord", H),
        (117, "discord-webhook-url", "Discord webhook URL",
         r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[\w-]{60,68})",
         "discord.com/api/webhooks discordapp.com/api/webhooks", H),
        (118, "telegram-bot-token", "Telegram bot token", r"(?<![\w:])(\d{8,10}:AA[0-9A-Za-z_-]{33})(?![\w-])",
         ":aa", H),
        (119, "teams-webhook-url", "Microsoft Teams incoming webhook URL",
         r"(https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[a-f0-9]{32}/[a-f0-9-]{36}(?:/[\w-]+)?)",
         "webhook.office.com", H),
        (120, "twitter-bearer-token", "Twitter/X bearer token", token(r"A{22}[A-Za-z0-9%]{80,120}"),
         "aaaaaaaaaaaaaaaaaaaaaa", H, {"entropy": 3.5}),
        (121, "twitter-api-secret", "Twitter/X API secret", assigned(r"twitter", r"[A-Za-z0-9]{50}"), "twitter", H,
         {"entropy": 3.5}),
        (122, "facebook-access-token", "Facebook access token", token(r"EAA[A-Za-z0-9]{100,}"), "eaa", H,
         {"entropy": 4.0}),
        (123, "facebook-app-secret", "Facebook app secret",
         assigned(r"facebook|fb[_-]?(?:app[_-]?)?secret", r"[a-f0-9]{32}"), "facebook fb_ fb-", H),
        (124, "mattermost-token", "Mattermost access token", assigned(r"mattermost", r"[a-z0-9]{26}"),
         "mattermost", M, {"entropy": 3.5}),
        (125, "twilio-api-key", "Twilio API key", token(r"SK[0-9a-fA-F]{32}"), "sk", H, {"entropy": 3.2}),
        (126, "twilio-auth-token", "Twilio auth token",
         assigned(r"twilio[\w.-]{0,20}?(?:auth|token|secret)", r"[a-f0-9]{32}"), "twilio", C),
        (127, "sendgrid-api-key", "SendGrid API key", token(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
                                                            right=r"(?![\w-])"), "sg.", H),
        (128, "mailgun-api-key", "Mailgun API key",
         assigned(r"mailgun", r"(?:key-)?[a-f0-9]{32}(?:-[a-f0-9]{8}-[a-f0-9]{8})?"), "mailgun", H),
        (129, "mailchimp-api-key", "Mailchimp API key", token(r"[a-f0-9]{32}-us\d{1,2}"), "-us", H,
         {"anchored": True}),
        (130, "brevo-api-key", "Brevo (Sendinblue) API key", token(r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
         "xkeysib-", H),
        (131, "postmark-token", "Postmark server token", assigned(r"postmark", UUID), "postmark", H),
        (132, "mailjet-secret", "Mailjet API secret", assigned(r"mailjet", r"[a-f0-9]{32}"), "mailjet", H),
        (133, "messagebird-key", "MessageBird API key",
         assigned(r"message[_-]?bird", r"[A-Za-z0-9]{25}"), "messagebird message_bird message-bird", H,
         {"entropy": 3.5}),
        (134, "vonage-api-secret", "Vonage (Nexmo) API secret", assigned(r"nexmo|vonage", r"[A-Za-z0-9]{16}"),
         "nexmo vonage", M, {"entropy": 3.3, "validator": "digit-and-letter"}),
    ],
)  # fmt: skip
