"""Grouping benchmark: ``get_grouping`` throughput on one core, no server involved.

    .venv/bin/python bench/grouping.py [--events 5000] [--rounds 3]

Builds two realistic events and normalizes them first (as the digest does; normalizing is
not timed):

* Python: a 30-frame exception (Django / gunicorn / SQLAlchemy frames from site-packages and
  the shop's own in-app frames, context lines, local variables) chained to a short cause;
* JavaScript: a minified browser error, 30 frames on https:// CDN bundles, names like
  ``t.a``, column numbers, no context or one line of minified source, an in-app mix.

Each is timed twice: (a) the same event over and over, so per-stack caches hit, and (b) a
fresh variant every time (one frame's function and the caller's module renamed), so they
miss. Prints events/s and µs/event of the best round, and the process CPU time next to the
wall time: CPU ≈ wall means the figure is what one core does.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from heron.grouping import get_grouping
from heron.normalize import normalize_event

TARGET_EVENTS_PER_SECOND = 5000

# (module, function, context line, in_app), oldest first.
_SITE = "/app/.venv/lib/python3.11/site-packages"
_PY_STACK: list[tuple[str, str, str, bool]] = [
    ("gunicorn.workers.sync", "run", "self.run_for_one(timeout)", False),
    ("gunicorn.workers.sync", "run_for_one", "self.accept(listener)", False),
    ("gunicorn.workers.sync", "accept", "self.handle(listener, client, addr)", False),
    ("gunicorn.workers.sync", "handle", "self.handle_request(listener, req, client, addr)", False),
    (
        "gunicorn.workers.sync",
        "handle_request",
        "respiter = self.wsgi(environ, resp.start_response)",
        False,
    ),
    ("django.core.handlers.wsgi", "__call__", "response = self.get_response(request)", False),
    (
        "django.core.handlers.base",
        "get_response",
        "response = self._middleware_chain(request)",
        False,
    ),
    ("django.core.handlers.exception", "inner", "response = get_response(request)", False),
    (
        "django.utils.deprecation",
        "__call__",
        "response = response or self.get_response(request)",
        False,
    ),
    ("django.core.handlers.exception", "inner", "response = get_response(request)", False),
    ("shop.middleware.tenancy", "__call__", "return self.get_response(request)", True),
    ("django.core.handlers.exception", "inner", "response = get_response(request)", False),
    (
        "django.core.handlers.base",
        "_get_response",
        "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
        False,
    ),
    (
        "django.views.decorators.csrf",
        "wrapper_view",
        "return view_func(request, *args, **kwargs)",
        False,
    ),
    ("django.views.generic.base", "view", "return self.dispatch(request, *args, **kwargs)", False),
    ("rest_framework.views", "dispatch", "response = handler(request, *args, **kwargs)", False),
    (
        "shop.orders.views",
        "post",
        "order = checkout(request.user, serializer.validated_data)",
        True,
    ),
    ("shop.orders.services", "checkout", "reserve_stock(basket.lines.all())", True),
    ("shop.inventory.reservations", "reserve_stock", "_reserve_line(line, warehouse)", True),
    (
        "shop.inventory.reservations",
        "_reserve_line",
        "stock = Stock.objects.select_for_update().get(sku=line.sku)",
        True,
    ),
    (
        "django.db.models.manager",
        "manager_method",
        "return getattr(self.get_queryset(), name)(*args, **kwargs)",
        False,
    ),
    ("django.db.models.query", "get", "num = len(clone)", False),
    ("django.db.models.query", "__len__", "self._fetch_all()", False),
    (
        "django.db.models.query",
        "_fetch_all",
        "self._result_cache = list(self._iterable_class(self))",
        False,
    ),
    (
        "django.db.models.query",
        "__iter__",
        "results = compiler.execute_sql(chunked_fetch=self.chunked_fetch)",
        False,
    ),
    ("django.db.models.sql.compiler", "execute_sql", "cursor.execute(sql, params)", False),
    (
        "django.db.backends.utils",
        "execute",
        "return self._execute_with_wrappers(sql, params, many=False)",
        False,
    ),
    ("django.db.backends.utils", "_execute", "return self.cursor.execute(sql, params)", False),
    ("shop.db.retry", "execute", "return super().execute(sql, params)", True),
    ("psycopg.cursor", "execute", "raise ex.with_traceback(None)", False),
]
_PY_CAUSE: list[tuple[str, str, str, bool]] = [
    (
        "shop.inventory.locks",
        "acquire",
        "return self._client.set(key, token, nx=True, px=ttl)",
        True,
    ),
    ("redis.commands.core", "set", "return self.execute_command('SET', *pieces, **options)", False),
    (
        "redis.connection",
        "read_response",
        "raise TimeoutError('Timeout reading from socket')",
        False,
    ),
]


def _py_frame(module: str, function: str, context: str, in_app: bool, lineno: int) -> Any:
    rel = module.replace(".", "/") + ".py"
    abs_path = f"/app/src/{rel}" if in_app else f"{_SITE}/{rel}"
    indent = "        "
    return {
        "module": module,
        "function": function,
        "filename": rel,
        "abs_path": abs_path,
        "lineno": lineno,
        "context_line": indent + context,
        "pre_context": [indent + "try:", indent + "    # keep the lock short"],
        "post_context": [indent + "except Exception:", indent + "    raise"],
        "in_app": in_app,
        "vars": {
            "self": f"<{module.rsplit('.', 1)[-1].title()} object at 0x7f3a{lineno:08x}>",
            "request": "<WSGIRequest: POST '/api/orders/'>",
            "args": "()",
            "kwargs": {"order_id": lineno * 7919},
        },
    }


def python_event(fresh: int | None) -> dict[str, Any]:
    """A Django checkout failure; ``fresh`` renames an in-app frame and its caller's module."""
    frames = [_py_frame(*row, lineno=40 + 13 * i) for i, row in enumerate(_PY_STACK)]
    if fresh is not None:
        frames[18]["function"] = f"reserve_stock_{fresh}"
        frames[17]["module"] = f"shop.orders.services_{fresh}"
    cause = [_py_frame(*row, lineno=200 + i) for i, row in enumerate(_PY_CAUSE)]
    return {
        "platform": "python",
        "level": "error",
        "logger": "django.request",
        "release": "shop@1.4.2",
        "environment": "production",
        "server_name": "web-3",
        "transaction": "/api/orders/",
        "sdk": {"name": "sentry.python.django", "version": "2.19.0"},
        "tags": {"tenant": "acme", "region": "eu-west-1"},
        "exception": {
            "values": [
                {
                    "type": "TimeoutError",
                    "value": "Timeout reading from socket",
                    "module": "redis.exceptions",
                    "mechanism": {"type": "chained", "source": "__context__", "exception_id": 1},
                    "stacktrace": {"frames": cause},
                },
                {
                    "type": "OperationalError",
                    "value": "canceling statement due to lock timeout on order 81723",
                    "module": "psycopg.errors",
                    "mechanism": {"type": "django", "handled": False, "exception_id": 0},
                    "stacktrace": {"frames": frames},
                },
            ]
        },
    }


_BUNDLE = "https://cdn.shop.example.com/assets/js"
_VENDOR = "https://cdn.jsdelivr.net/npm/react-dom@18.3.1/umd/react-dom.production.min.js"
_MINIFIED_LINE = (
    '{snip} function(e){var t=e.target.closest("[data-sku]");if(!t)return;var n=t.dataset.sku'
    ';r.a.post(o.c+"/cart",{sku:n,qty:1}).then(function(e){return i(e.data)}) {snip}'
)
# (abs_path, function, in_app, one line of minified source?), oldest first.
_JS_STACK: list[tuple[str, str, bool, bool]] = [
    (_VENDOR, "Ks", False, False),
    (_VENDOR, "Gs", False, False),
    (_VENDOR, "unstable_runWithPriority", False, False),
    (_VENDOR, "zi", False, False),
    (_VENDOR, "Un", False, False),
    (_VENDOR, "t.unstable_runWithPriority", False, False),
    (_VENDOR, "Jt", False, False),
    (_VENDOR, "Zt", False, False),
    (_VENDOR, "Qt", False, False),
    (_VENDOR, "Kt", False, False),
    (_VENDOR, "Ie", False, False),
    (_VENDOR, "Te", False, False),
    (_VENDOR, "Ce", False, False),
    (_VENDOR, "HTMLUnknownElement.callCallback", False, False),
    (f"{_BUNDLE}/runtime.4b1e0c.js", "r", True, False),
    (f"{_BUNDLE}/main.3f2a1c.js", "Object.onClick", True, True),
    (f"{_BUNDLE}/main.3f2a1c.js", "t.a", True, True),
    (f"{_BUNDLE}/main.3f2a1c.js", "e.handleAdd", True, False),
    (f"{_BUNDLE}/main.3f2a1c.js", "n.addToCart", True, True),
    (f"{_BUNDLE}/vendors.9d8e7f.js", "e.request", False, False),
    (f"{_BUNDLE}/vendors.9d8e7f.js", "e._request", False, False),
    (f"{_BUNDLE}/vendors.9d8e7f.js", "Promise.then", False, False),
    (f"{_BUNDLE}/main.3f2a1c.js", "u", True, False),
    (f"{_BUNDLE}/main.3f2a1c.js", "i.<anonymous>", True, False),
    (f"{_BUNDLE}/main.3f2a1c.js", "s", True, True),
    (f"{_BUNDLE}/main.3f2a1c.js", "Generator.next", True, False),
    (f"{_BUNDLE}/main.3f2a1c.js", "o.c", True, False),
    (f"{_BUNDLE}/vendors.9d8e7f.js", "p.parse", False, False),
    (f"{_BUNDLE}/vendors.9d8e7f.js", "JSON.parse", False, False),
    (f"{_BUNDLE}/vendors.9d8e7f.js", "?", False, False),
]


def javascript_event(fresh: int | None) -> dict[str, Any]:
    """A minified browser TypeError; ``fresh`` renames one minified in-app function."""
    frames = []
    for i, (abs_path, function, in_app, with_line) in enumerate(_JS_STACK):
        frame: dict[str, Any] = {
            "abs_path": abs_path,
            "filename": abs_path.split("/", 3)[-1],
            "function": function,
            "lineno": 1 if "cdn.shop" in abs_path else 9,
            "colno": 1017 + 4093 * i,
            "in_app": in_app,
        }
        if with_line:
            frame["context_line"] = _MINIFIED_LINE
        frames.append(frame)
    if fresh is not None:
        frames[16]["function"] = f"t.a{fresh:x}"
    return {
        "platform": "javascript",
        "level": "error",
        "release": "shop-web@2024.11.3",
        "environment": "production",
        "transaction": "/checkout",
        "sdk": {"name": "sentry.javascript.browser", "version": "8.38.0"},
        "request": {
            "url": "https://shop.example.com/checkout",
            "headers": {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0"},
        },
        "tags": {"browser": "Chrome 131"},
        "exception": {
            "values": [
                {
                    "type": "TypeError",
                    "value": "Cannot read properties of undefined (reading 'qty')",
                    "mechanism": {"type": "onerror", "handled": False},
                    "stacktrace": {"frames": frames},
                }
            ]
        },
    }


def _normalized(raw: dict[str, Any]) -> dict[str, Any]:
    return normalize_event(raw, received_at=time.time())


def _time(events: list[dict[str, Any]]) -> tuple[float, float]:
    """(wall, cpu) seconds to group every event once."""
    wall, cpu = time.perf_counter(), time.process_time()
    for event in events:
        get_grouping(event)
    return time.perf_counter() - wall, time.process_time() - cpu


def _case(
    name: str, build: Callable[[int | None], dict[str, Any]], args: argparse.Namespace, fresh: bool
) -> float:
    """Run one case; print and return the best round's events/s."""
    count, rounds = args.events, args.rounds
    results = []
    serial = 0
    for _ in range(rounds + 1):  # round 0 warms up imports, rule plans and caches
        if fresh:
            events = []
            for _ in range(count):
                events.append(_normalized(build(serial)))
                serial += 1
        else:
            events = [_normalized(build(None))] * count
        # The prepared events are the benchmark's fixture: keep the collector from scanning
        # them over and over (what grouping itself allocates is still collected as usual).
        gc.collect()
        gc.freeze()
        results.append(_time(events))
        gc.unfreeze()
    wall, cpu = min(results[1:])
    rate = count / wall
    flag = "" if rate >= TARGET_EVENTS_PER_SECOND else "   below target"
    print(
        f"{name:<34} {rate:9,.0f} events/s  {wall / count * 1e6:7.1f} µs/event  "
        f"(wall {wall:.2f} s, cpu {cpu:.2f} s){flag}"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000, help="events per round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (best is shown)")
    args = parser.parse_args()

    sample = get_grouping(_normalized(python_event(None)))
    frames = len(sample.variants["app"].values)
    print(
        f"get_grouping, {args.events} events per round, best of {args.rounds}; "
        f"one thread on {os.cpu_count()} cores; target ≥ {TARGET_EVENTS_PER_SECOND:,} events/s"
    )
    print(f"(python app variant hashes {frames} values)\n")
    rates = [
        _case(f"{name}, {'fresh variant each time' if fresh else 'same event'}", build, args, fresh)
        for name, build in (("python", python_event), ("javascript", javascript_event))
        for fresh in (False, True)
    ]  # fmt: skip
    return 0 if min(rates) >= TARGET_EVENTS_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
