"""The README's way of recording a model call without an integration, run by the real Python
SDK against the live server: a manual ``gen_ai.chat`` span, and token measurements."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from heron.store import tables
from tests.live import LiveServer
from tests.sdk.helpers import database, marker, run_sdk_file

SCRIPT = """\
import os
import sentry_sdk

sentry_sdk.init(os.environ["SENTRY_DSN"], traces_sample_rate=1.0, environment="test")
with sentry_sdk.start_transaction(op="queue.task", name="tasks.summarise"):
    sentry_sdk.set_tag("job_id", "{mark}-span")
    sentry_sdk.set_user({"id": "u-9"})
    with sentry_sdk.start_span(op="gen_ai.chat", name="chat gpt-4o") as span:
        span.set_data("gen_ai.request.model", "gpt-4o")
        span.set_data("gen_ai.usage.input_tokens", 1000)
        span.set_data("gen_ai.usage.output_tokens", 200)
with sentry_sdk.start_transaction(op="queue.task", name="tasks.translate"):
    sentry_sdk.set_tag("job_id", "{mark}-measured")
    sentry_sdk.set_tag("gen_ai.request.model", "gemini-2.5-flash")
    sentry_sdk.set_measurement("prompt_tokens", 4000)
    sentry_sdk.set_measurement("completion_tokens", 1000)
sentry_sdk.flush()
"""


def _calls(server: LiveServer, job_ids: set[str]) -> dict[str, Any]:
    c = tables.llm_calls.c
    deadline = time.monotonic() + 30
    with database(server) as db:
        while True:
            with db.read() as conn:
                rows = conn.execute(
                    select(tables.llm_calls).where(c.job_id.in_(sorted(job_ids)))
                ).all()
            if len(rows) >= len(job_ids) or time.monotonic() > deadline:
                return {r.job_id: r for r in rows}
            time.sleep(0.2)


def test_model_calls_recorded_by_hand_are_priced(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    run_sdk_file(tmp_path, SCRIPT.replace("{mark}", mark), server.dsn)
    calls = _calls(server, {f"{mark}-span", f"{mark}-measured"})
    span = calls[f"{mark}-span"]
    # gpt-4o at 2.50 in / 10.00 out per 1M: 1000·2.5 + 200·10 = 4500 → $0.0045
    assert (span.model, span.input_tokens, span.output_tokens) == ("gpt-4o", 1000, 200)
    assert abs(span.cost_usd - 0.0045) < 1e-12
    assert (span.transaction, span.user_key, span.source) == ("tasks.summarise", "id:u-9", "span")
    measured = calls[f"{mark}-measured"]
    # gemini-2.5-flash at 0.30 in / 2.50 out per 1M: 4000·0.3 + 1000·2.5 = 3700 → $0.0037
    assert (measured.model, measured.input_tokens, measured.output_tokens) == (
        "gemini-2.5-flash",
        4000,
        1000,
    )
    assert abs(measured.cost_usd - 0.0037) < 1e-12
    assert measured.source == "measurements"
