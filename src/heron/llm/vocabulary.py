"""The attribute vocabularies AI spans are written in, and readers that never raise.

Each quantity has a family of aliases, in order of preference: Sentry's dotted names, the
OpenTelemetry names, older OTel/OpenLLMetry names, OpenInference, then Sentry's deprecated
names. A value of the wrong type or out of range reads as absent, so the next alias is tried.
"""

from __future__ import annotations

import json
import math
from typing import Any

INPUT = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.usage.prompt_tokens",
    "llm.token_count.prompt",
    "ai.prompt_tokens.used",
    "ai_prompt_tokens_used",
)
CACHE_READ = (
    "gen_ai.usage.input_tokens.cached",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
CACHE_WRITE = (
    "gen_ai.usage.input_tokens.cache_write",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
OUTPUT = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
    "llm.token_count.completion",
    "ai.completion_tokens.used",
    "ai_completion_tokens_used",
)
REASONING = (
    "gen_ai.usage.output_tokens.reasoning",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
TOTAL = (
    "gen_ai.usage.total_tokens",
    "llm.usage.total_tokens",
    "llm.token_count.total",
    "ai.total_tokens.used",
    "ai_total_tokens_used",
)
TOKEN_KEYS = frozenset(INPUT + CACHE_READ + CACHE_WRITE + OUTPUT + REASONING + TOTAL)

# Measurements an app (or an old SDK) records on the transaction when no span carries usage.
MEASURED_INPUT = ("prompt_tokens", "ai_prompt_tokens_used")
MEASURED_OUTPUT = ("completion_tokens", "ai_completion_tokens_used")
MEASURED_TOTAL = ("total_tokens", "ai_total_tokens_used")

PROVIDER = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
STREAMING = ("gen_ai.response.streaming", "gen_ai.request.stream", "ai.streaming")
TTFT = ("gen_ai.response.time_to_first_token", "gen_ai.response.time_to_first_chunk")
PROMPT = (
    "gen_ai.input.messages",
    "gen_ai.request.messages",
    "gen_ai.prompt",
    "gen_ai.embeddings.input",
    "ai.input_messages",
    "input.value",
)
RESPONSE = (
    "gen_ai.output.messages",
    "gen_ai.response.text",
    "gen_ai.completion",
    "ai.responses",
    "output.value",
)
MODEL_TAGS = ("gen_ai.request.model", "model")

# Model-name prefixes and API hosts that give the provider away when no span says it.
MODEL_PROVIDERS = (
    (("gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-", "davinci", "whisper"), "openai"),
    (("claude",), "anthropic"),
    (("gemini",), "gcp.gemini"),
    (("mistral", "codestral", "pixtral", "ministral"), "mistral_ai"),
    (("command", "embed-"), "cohere"),
    (("deepseek",), "deepseek"),
    (("grok",), "x_ai"),
)
# ``provider/model`` names (LiteLLM, OpenRouter) carry the provider; a few routers spell it
# differently from the OTel provider names, and some paths start with no provider at all.
PREFIX_PROVIDERS = {"gemini": "gcp.gemini", "vertex_ai": "gcp.vertex_ai", "bedrock": "aws.bedrock"}
NOT_PROVIDERS = frozenset({"models", "accounts", "projects"})
HOST_PROVIDERS = (
    ("openai.azure.com", "azure.ai.openai"),
    ("api.openai.com", "openai"),
    ("api.anthropic.com", "anthropic"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
    ("aiplatform.googleapis.com", "gcp.vertex_ai"),
    ("bedrock-runtime", "aws.bedrock"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.deepseek.com", "deepseek"),
    ("api.groq.com", "groq"),
    ("api.x.ai", "x_ai"),
    ("cohere", "cohere"),
)


def token_count(value: Any) -> int | None:
    """A token count from an int, an integral float or a digit string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def first_count(data: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if type(value) is int:  # the common case, read without a call (bool is not int)
            if value >= 0:
                return value
            continue
        count = token_count(value)
        if count is not None:
            return count
    return None


def first_str(data: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            value = value.strip()
            if value:
                return value
    return None


def first_bool(data: dict[str, Any], keys: tuple[str, ...]) -> bool | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool):
            return value
    return None


def first_number(data: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value) and value >= 0:
            return float(value)
    return None


def first_text(data: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """Recorded content: v2 attributes arrive as JSON strings, legacy data as lists."""
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, default=str)
    return None


def provider_of(data: dict[str, Any], model: str | None) -> str | None:
    """The provider as named, else as told by the model name or the API host."""
    named = first_str(data, PROVIDER)
    if named:
        return named.lower()
    if model:
        lowered = model.lower()
        prefix, slash, _rest = lowered.partition("/")
        if slash and prefix not in NOT_PROVIDERS:
            return PREFIX_PROVIDERS.get(prefix, prefix)
        for prefixes, provider in MODEL_PROVIDERS:
            if lowered.startswith(prefixes):
                return provider
    host = first_str(data, ("server.address",))
    if host:
        for fragment, provider in HOST_PROVIDERS:
            if fragment in host.lower():
                return provider
    return None
