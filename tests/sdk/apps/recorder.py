"""Child-side helpers for the traced apps: what the SDK sent, and a loopback HTTP peer.

The apps import this module by its bare name (their directory is put first on ``sys.path``
by the test's runner), so it stays free of imports from ``tests``.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        return datetime.fromisoformat(value).timestamp()
    return float(value)


class Recorder:
    """``before_send``/``before_send_transaction`` hooks keeping what each event says about
    itself: the test compares Heron's figures with these, computed from the SDK's own
    timestamps (the values it serialises), not from a clock of our own."""

    def __init__(self) -> None:
        self.transactions: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []

    def transaction(self, event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        trace = event["contexts"]["trace"]
        start, end = _seconds(event["start_timestamp"]), _seconds(event["timestamp"])
        self.transactions.append(
            {
                "event_id": event["event_id"],
                "name": event["transaction"],
                "trace_id": trace["trace_id"],
                "status": trace.get("status"),
                "duration_ms": (end - start) * 1000.0,
                "spans": [[s.get("op"), s.get("description")] for s in event.get("spans", [])],
            }
        )
        return event

    def error(self, event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        trace = event.get("contexts", {}).get("trace", {})
        self.errors.append(
            {
                "event_id": event["event_id"],
                "trace_id": trace.get("trace_id"),
                "transaction": event.get("transaction"),
            }
        )
        return event

    def dump(self) -> None:
        """Print everything as the last line of stdout, where the test reads it."""
        sys.stdout.write(
            json.dumps({"transactions": self.transactions, "errors": self.errors}) + "\n"
        )
        sys.stdout.flush()


class _Rates(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "rate": 1.08}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the child's stdout for the recorder's line


def loopback_peer() -> str:
    """Start a tiny HTTP server on loopback (a daemon thread); return its base URL."""
    peer = ThreadingHTTPServer(("127.0.0.1", 0), _Rates)
    threading.Thread(target=peer.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{peer.server_address[1]}"
