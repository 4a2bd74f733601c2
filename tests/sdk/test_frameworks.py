"""Web framework integrations of the Python SDK: a crashing view becomes an issue with its request.

Each app runs in a child process (FastAPI driven by its test client, Django through its WSGI
entry point); the SDK sends what it captured to the live server over loopback.
"""

from __future__ import annotations

from pathlib import Path

from tests.live import LiveServer
from tests.sdk.helpers import entry, latest_event, marker, run_sdk_file, wait_issues


def test_fastapi_unhandled_error_carries_the_request(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    output = run_sdk_file(
        tmp_path,
        f"""
import os

import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

sentry_sdk.init(
    os.environ["SENTRY_DSN"],
    traces_sample_rate=0,
    integrations=[StarletteIntegration(), FastApiIntegration()],
)

from fastapi import FastAPI
from fastapi.testclient import TestClient

app = FastAPI()


@app.get("/sentry-debug")
async def trigger_error_{mark}():
    sentry_sdk.set_tag("marker", "{mark}")
    return 1 / 0


client = TestClient(app, raise_server_exceptions=False)
print(client.get("/sentry-debug", params={{"source": "test"}}).status_code)
sentry_sdk.flush()
""",
        server.dsn,
    )
    assert output.strip().splitlines()[-1] == "500"
    [issue] = wait_issues(server, f"marker:{mark}")
    assert issue["metadata"]["type"] == "ZeroDivisionError"
    assert issue["isUnhandled"] is True
    event = latest_event(server, issue["id"])
    request = entry(event, "request")
    assert request["url"].endswith("/sentry-debug")
    assert request["method"] == "GET"
    assert ["source", "test"] in request["query"]
    assert {"key": "transaction", "value": "/sentry-debug"} in event["tags"]
    frames = entry(event, "exception")["values"][-1]["stacktrace"]["frames"]
    assert frames[-1]["function"] == f"trigger_error_{mark}"


def test_django_unhandled_error_carries_the_request(server: LiveServer, tmp_path: Path) -> None:
    mark = marker()
    output = run_sdk_file(
        tmp_path,
        f"""
import os
from wsgiref.util import setup_testing_defaults

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

sentry_sdk.init(
    os.environ["SENTRY_DSN"], traces_sample_rate=0, integrations=[DjangoIntegration()]
)

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="heron-test-" + "x" * 40,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    LOGGING_CONFIG=None,
)
django.setup()

from django.core.wsgi import get_wsgi_application
from django.urls import path


def order_view_{mark}(request, order_id):
    sentry_sdk.set_tag("marker", "{mark}")
    raise RuntimeError("order " + str(order_id) + " is locked")


urlpatterns = [path("orders/<int:order_id>/", order_view_{mark})]

# Through the WSGI entry point, as gunicorn would call it: the SDK takes the request's URL,
# method and headers from there (django.test.Client bypasses it and yields an empty request).
environ = {{"REQUEST_METHOD": "GET", "PATH_INFO": "/orders/17/", "QUERY_STRING": "debug=1"}}
setup_testing_defaults(environ)
statuses = []
body = get_wsgi_application()(environ, lambda status, headers, exc=None: statuses.append(status))
b"".join(body)
print(statuses[0].split()[0])
sentry_sdk.flush()
""",
        server.dsn,
    )
    assert output.strip().splitlines()[-1] == "500"
    [issue] = wait_issues(server, f"marker:{mark}")
    assert issue["title"] == "RuntimeError: order 17 is locked"
    event = latest_event(server, issue["id"])
    request = entry(event, "request")
    assert request["url"].endswith("/orders/17/")
    assert request["method"] == "GET"
    assert ["debug", "1"] in request["query"]
    assert {"key": "transaction", "value": "/orders/{order_id}/"} in event["tags"]
    frames = entry(event, "exception")["values"][-1]["stacktrace"]["frames"]
    assert frames[-1]["function"] == f"order_view_{mark}"
