"""Payment providers: Stripe, PayPal/Braintree, Square, Razorpay, Flutterwave, GoCardless, Shippo,
EasyPost, Plaid, Coinbase, Adyen.

Formats: Stripe "API keys" (``sk_live_``/``rk_live_``, test mode ``sk_test_``; webhook signing
secrets ``whsec_``); Braintree access tokens ``access_token$production$<merchant>$<32 hex>``; Square
``EAAA``/``sq0atp-`` access tokens and ``sq0csp-`` OAuth secrets.
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import C, H, L, assigned, table, token

RULES = table(
    "payment",
    [
        (140, "stripe-secret-key", "Stripe live secret or restricted key", token(r"(?:sk|rk)_live_[0-9A-Za-z]{24,247}"),
         "sk_live_ rk_live_", C, {"references": ("https://docs.stripe.com/keys",)}),
        (141, "stripe-test-key", "Stripe test-mode secret key", token(r"(?:sk|rk)_test_[0-9A-Za-z]{24,247}"),
         "sk_test_ rk_test_", L),
        (142, "stripe-webhook-secret", "Stripe webhook signing secret",
         token(r"whsec_[A-Za-z0-9+/]{32,}", right=r"(?![A-Za-z0-9+/_])"), "whsec_", H),
        (143, "braintree-access-token", "PayPal Braintree access token",
         r"(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})", "access_token$production", C),
        (144, "square-access-token", "Square access token", token(r"(?:EAAA|sq0atp-)[A-Za-z0-9_-]{22,60}",
                                                                  right=r"(?![\w-])"), "eaaa sq0atp-", C,
         {"entropy": 3.5}),
        (145, "square-oauth-secret", "Square OAuth application secret", token(r"sq0csp-[0-9A-Za-z_-]{43}",
                                                                              right=r"(?![\w-])"), "sq0csp-", H),
        (146, "razorpay-key-id", "Razorpay live key ID", token(r"rzp_live_[A-Za-z0-9]{14}"), "rzp_live_", H),
        (147, "razorpay-key-secret", "Razorpay key secret", assigned(r"razorpay", r"[A-Za-z0-9]{24}"), "razorpay",
         C, {"entropy": 3.5}),
        (148, "flutterwave-secret-key", "Flutterwave secret key",
         r"(?<![\w-])(FLWSECK(?:_TEST)?-[a-h0-9]{32}-X)(?![\w-])", "flwseck", C),
        (149, "gocardless-token", "GoCardless access token",
         assigned(r"gocardless", r"live_[A-Za-z0-9_=-]{40}"), "gocardless", C),
        (150, "shippo-token", "Shippo API token", token(r"shippo_(?:live|test)_[a-f0-9]{40}"), "shippo_", H),
        (151, "easypost-api-key", "EasyPost API key", token(r"EZ[AT]K[A-Za-z0-9]{54}"), "ezak eztk", H),
        (152, "plaid-secret", "Plaid API secret", assigned(r"plaid[\w.-]{0,20}?secret", r"[a-f0-9]{30}"), "plaid", C),
        (153, "coinbase-secret", "Coinbase API secret", assigned(r"coinbase", r"[A-Za-z0-9_-]{64}"), "coinbase", C,
         {"entropy": 3.5}),
        (154, "adyen-api-key", "Adyen API key", assigned(r"adyen", r"AQE[A-Za-z0-9+/=_.-]{60,}"), "adyen", C),
    ],
)  # fmt: skip
