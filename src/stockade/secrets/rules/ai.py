"""AI and machine-learning APIs: OpenAI, Anthropic, Groq, Hugging Face, Replicate, Perplexity,
LangSmith, Cohere, Mistral, Pinecone, Weights & Biases, xAI.

Formats: OpenAI keys carry ``T3BlbkFJ`` (base64 of "OpenAI") in the middle; Anthropic keys are
``sk-ant-api03-`` + 93 + ``AA``.
"""

# ruff: noqa: E501  (rule tables: one rule a row, expressions unbroken)

from __future__ import annotations

from stockade.secrets.rules._build import H, assigned, table, token

RULES = table(
    "ai",
    [
        (230, "openai-api-key", "OpenAI API key",
         token(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74}", right=r"(?![\w-])"),
         "t3blbkfj", H),
        (231, "anthropic-api-key", "Anthropic API key", token(r"sk-ant-api03-[A-Za-z0-9_-]{93}AA", right=r"(?![\w-])"),
         "sk-ant-api03", H),
        (232, "anthropic-admin-key", "Anthropic admin API key",
         token(r"sk-ant-admin01-[A-Za-z0-9_-]{93}AA", right=r"(?![\w-])"), "sk-ant-admin01", H),
        (233, "groq-api-key", "Groq API key", token(r"gsk_[A-Za-z0-9]{52}"), "gsk_", H),
        (234, "huggingface-token", "Hugging Face access token", token(r"hf_[A-Za-z]{34}"), "hf_", H,
         {"entropy": 3.5}),
        (235, "huggingface-org-token", "Hugging Face organisation token", token(r"api_org_[A-Za-z]{34}"), "api_org_",
         H, {"entropy": 3.5}),
        (236, "replicate-token", "Replicate API token", token(r"r8_[A-Za-z0-9]{37}"), "r8_", H, {"entropy": 3.5}),
        (237, "perplexity-api-key", "Perplexity API key", token(r"pplx-[A-Za-z0-9]{48}"), "pplx-", H),
        (238, "langsmith-api-key", "LangSmith API key", token(r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"), "lsv2_",
         H),
        (239, "cohere-api-key", "Cohere API key", assigned(r"cohere|co[_-]api[_-]key", r"[A-Za-z0-9]{40}"),
         "cohere co_api_key co-api-key", H, {"entropy": 3.5}),
        (240, "mistral-api-key", "Mistral AI API key", assigned(r"mistral", r"[A-Za-z0-9]{32}"), "mistral", H,
         {"entropy": 3.5}),
        (241, "pinecone-api-key", "Pinecone API key",
         assigned(r"pinecone", r"pcsk_[A-Za-z0-9_]{60,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
         "pinecone", H),
        (242, "wandb-api-key", "Weights & Biases API key", assigned(r"wandb", r"[a-f0-9]{40}"), "wandb", H),
        (243, "xai-api-key", "xAI API key", token(r"xai-[A-Za-z0-9]{80}"), "xai-", H),
    ],
)  # fmt: skip
