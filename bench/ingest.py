"""Ingest benchmark: real sentry-sdk envelopes posted concurrently to a running Heron.

    .venv/bin/python bench/ingest.py [--events 20000] [--concurrency 32] [--database-url URL]

Builds envelopes with the official SDK (~17-frame stack traces, 50 distinct issues, many
repeats, each with a fresh event id), starts ``heron serve`` on a fresh data directory, posts
them from a client process and prints: accepted events/s, accept latency p50/p95/p99,
end-to-end digested events/s (until every event is counted in the issue list) and the
server's peak memory (PSS and summed RSS of all its processes).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live import LiveServer

DISTINCT_ISSUES = 50
DEPTH = 15


def build_envelopes(count: int) -> list[bytes]:
    """``count`` envelopes made by sentry-sdk itself, through a capturing transport."""
    import sentry_sdk
    from sentry_sdk.transport import Transport

    captured: list[Any] = []

    class Capture(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            captured.append(envelope)

    sentry_sdk.init(
        dsn="http://0123456789abcdef0123456789abcdef@127.0.0.1:1/1",
        transport=Capture,
        release="shop@1.4.2",
        environment="production",
        default_integrations=False,
    )

    def dive(kind: int, depth: int, order_id: int) -> None:
        basket = {"order_id": order_id, "items": list(range(depth))}
        if depth == 0:
            raise _ERRORS[kind % len(_ERRORS)](f"order {order_id} failed in step {kind}")
        dive(kind, depth - 1, order_id + len(basket))

    templates = []
    for kind in range(DISTINCT_ISSUES):
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("job_id", f"job-{kind}")
            scope.set_tag("model", "gpt-4o-mini")
            scope.set_user({"id": f"user-{kind % 17}", "email": f"user{kind % 17}@example.com"})
            scope.add_breadcrumb(category="http", message=f"GET /orders/{kind}")
            try:
                # A different call site per kind: an extra frame named after the kind.
                exec(f"def site_{kind}(f, k): f(k, {DEPTH - 1}, {kind})", globals())
                globals()[f"site_{kind}"](dive, kind)
            except Exception:
                sentry_sdk.capture_exception()
    sentry_sdk.flush()
    for env in captured:
        templates.append(env)
    out = []
    for i in range(count):
        env = templates[i % len(templates)]
        event_id = uuid.uuid4().hex
        env.headers["event_id"] = event_id
        for item in env.items:
            if item.headers.get("type") == "event" and item.payload.json is not None:
                item.payload.json["event_id"] = event_id
                item.payload.json["timestamp"] = time.time()
                item.payload.bytes = None  # re-serialize with the new id
        out.append(env.serialize())
    return out


_ERRORS = [ValueError, KeyError, RuntimeError, ZeroDivisionError, LookupError]


async def _post_all(
    url: str, headers: dict[str, str], bodies: list[bytes], concurrency: int
) -> list[float]:
    """Post every body over ``concurrency`` keep-alive connections; return the latencies.

    A minimal HTTP/1.1 client on asyncio streams: a general-purpose client costs more CPU
    per request than the server under test, and this machine has two cores for both.
    """
    parts = urlsplit(url)
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    requests = [head.encode() + b"Content-Length: %d\r\n\r\n" % len(b) + b for b in bodies]
    latencies: list[float] = []
    pending = list(reversed(requests))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while pending:
                request = pending.pop()
                start = time.perf_counter()
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                if b" 200 " not in status_line:
                    raise RuntimeError(f"{status_line!r}: {body!r}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies


def _client_process(
    url: str, headers: dict[str, str], bodies: list[bytes], concurrency: int, out: Any
) -> None:
    import uvloop

    uvloop.install()
    out.put(asyncio.run(_post_all(url, headers, bodies, concurrency)))


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (from /proc)."""
    pids, i = [pid], 0
    while i < len(pids):
        try:
            children = Path(f"/proc/{pids[i]}/task/{pids[i]}/children").read_text().split()
        except OSError:
            children = []
        pids += [int(c) for c in children]
        i += 1
    return pids


def _memory_mb(pid: int) -> tuple[float, float]:
    """(sum of RSS, sum of PSS) of the server's processes, in MB.

    RSS counts pages shared between processes (the interpreter, libraries) once per process;
    PSS splits them, so its sum is the memory the server really occupies.
    """
    rss = pss = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024


def _peak(server: LiveServer, rss: float, pss: float) -> tuple[float, float]:
    now_rss, now_pss = _memory_mb(server.proc.pid if server.proc else 0)
    return max(rss, now_rss), max(pss, now_pss)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default SQLite)")
    parser.add_argument(
        "--env", action="append", default=[], help="extra server setting, e.g. HERON_WORKERS=2"
    )
    args = parser.parse_args()

    print(f"building {args.events} envelopes with sentry-sdk …", flush=True)
    bodies = build_envelopes(args.events)
    avg = statistics.mean(len(b) for b in bodies)
    print(
        f"  {len(bodies)} envelopes, {DISTINCT_ISSUES} distinct issues, {avg / 1024:.1f} KiB each"
    )

    with tempfile.TemporaryDirectory() as tmp:
        extra = dict(item.split("=", 1) for item in args.env)
        server = LiveServer(Path(tmp), args.database_url, **extra).start()
        try:
            headers = {**server.auth_header(), "Content-Type": "application/x-sentry-envelope"}
            url = server.ingest_url()
            ctx = multiprocessing.get_context("fork")
            out = ctx.Queue()
            per = [bodies[i :: args.clients] for i in range(args.clients)]
            conc = max(1, args.concurrency // args.clients)
            peak_rss = peak_pss = 0.0
            start = time.perf_counter()
            procs = [
                ctx.Process(target=_client_process, args=(url, headers, p, conc, out)) for p in per
            ]
            for p in procs:
                p.start()
            latencies: list[float] = []
            results = 0
            while results < len(procs):
                peak_rss, peak_pss = _peak(server, peak_rss, peak_pss)
                try:
                    latencies += out.get(timeout=0.2)
                    results += 1
                except Exception:
                    continue
            accept_time = time.perf_counter() - start
            for p in procs:
                p.join()
            total = len(bodies)
            while True:
                peak_rss, peak_pss = _peak(server, peak_rss, peak_pss)
                r = server.api("/api/0/projects/heron/default/issues/", params={"query": ""})
                counted = sum(int(i["count"]) for i in r.json())
                if counted >= total:
                    break
                if time.perf_counter() - start > 900:
                    print(f"digest did not finish: {counted}/{total}")
                    return 1
                time.sleep(0.2)
            digest_time = time.perf_counter() - start
        finally:
            server.stop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\nbackend: {backend}, {args.clients} client process(es) x {conc} connections, "
        f"{os.cpu_count()} cores"
    )
    print(f"accepted:  {total / accept_time:8.0f} events/s  ({total} in {accept_time:.1f} s)")
    print(
        f"latency:   p50 {_pct(latencies, 0.50):.1f} ms  p95 {_pct(latencies, 0.95):.1f} ms  "
        f"p99 {_pct(latencies, 0.99):.1f} ms"
    )
    print(
        f"digested:  {total / digest_time:8.0f} events/s end to end "
        f"({digest_time:.1f} s until all stored)"
    )
    print(
        f"peak memory: {peak_pss:5.0f} MB PSS, {peak_rss:.0f} MB summed RSS "
        "(server process and its children)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
