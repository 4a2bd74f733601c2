"""A small bookshop on Django (SQLite file, models made with the schema editor), traced by
sentry-sdk's DjangoIntegration.

Run by tests/sdk/test_perf_django.py in a child process with ``SENTRY_DSN``, ``HERON_MARK``
(a word in every route) and ``HERON_DB``. Three views: a book list that reads each book's
author through the foreign key without ``select_related`` (an N+1), a price lookup that calls a
loopback HTTP peer with urllib, and a checkout that raises. Requests go through Django's WSGI
entry point, as a WSGI server would call it (the SDK starts its transactions there); the last
stdout line says what the SDK sent (see recorder.py).
"""

from __future__ import annotations

import io
import json
import os
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from wsgiref.util import setup_testing_defaults

import sentry_sdk
from recorder import Recorder, loopback_peer
from sentry_sdk.integrations.django import DjangoIntegration

MARK = os.environ["HERON_MARK"]
BOOKS = 7
BOOK_CALLS = 20
RATE_CALLS = 5
CHECKOUT_CALLS = 3
AUTHOR_QUERY_PAUSE = 0.009  # s per author lookup: 7 of them clear the 50 ms N+1 floor

recorder = Recorder()
sentry_sdk.init(
    os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    release=f"books@{MARK}",
    environment="perf",
    integrations=[DjangoIntegration()],
    before_send=recorder.error,
    before_send_transaction=recorder.transaction,
    trace_propagation_targets=[],
)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="heron-test-" + "x" * 40,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    LOGGING_CONFIG=None,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["HERON_DB"]}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "shop"


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)

    class Meta:
        app_label = "shop"


with connection.schema_editor() as editor:
    editor.create_model(Author)
    editor.create_model(Book)
for i in range(BOOKS):
    Book.objects.create(title=f"book {i}", author=Author.objects.create(name=f"author {i}"))

PEER = loopback_peer()


def _slow_author_lookups(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
    # Runs inside the cursor call the SDK wraps in its db span: each lookup takes ≥ 9 ms, so
    # the N+1 crosses the detector's total-time floor on every request.
    if '"shop_author"' in sql:
        time.sleep(AUTHOR_QUERY_PAUSE)
    return execute(sql, *args)


def books(request: HttpRequest) -> JsonResponse:
    time.sleep(int(request.GET.get("pause_ms", "0")) / 1000)
    with connection.execute_wrapper(_slow_author_lookups):
        # No select_related: book.author costs one query per book (the N+1).
        rows = [[b.title, b.author.name] for b in Book.objects.order_by("id")]
    return JsonResponse({"books": rows})


def price(request: HttpRequest, book_id: int) -> JsonResponse:
    with urllib.request.urlopen(f"{PEER}/rates/{book_id}?currency=eur") as response:
        rate = json.load(response)["rate"]
    return JsonResponse({"book": book_id, "rate": rate})


def pay_for_order(request: HttpRequest) -> JsonResponse:
    # Frames of both apps are in module __main__: a name and line of its own keeps this
    # error from grouping with the FastAPI app's.
    raise RuntimeError(f"order {MARK} declined by the payment provider")


urlpatterns = [
    path(f"{MARK}/books/", books),
    path(f"{MARK}/prices/<int:book_id>/", price),
    path(f"{MARK}/checkout/", pay_for_order),
]

application = get_wsgi_application()


def call(path_info: str, query: str = "") -> str:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(),
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []
    body = application(environ, lambda status, headers, exc=None: statuses.append(status))
    try:
        b"".join(body)
    finally:
        body.close()  # the SDK finishes the transaction when the response is closed
    return statuses[0].split()[0]


codes = [call(f"/{MARK}/books/", f"pause_ms={3 * n}") for n in range(BOOK_CALLS)]
codes += [call(f"/{MARK}/prices/{200 + n}/") for n in range(RATE_CALLS)]
codes += [call(f"/{MARK}/checkout/") for _ in range(CHECKOUT_CALLS)]
assert codes == ["200"] * (BOOK_CALLS + RATE_CALLS) + ["500"] * CHECKOUT_CALLS, codes
sentry_sdk.flush()
recorder.dump()
