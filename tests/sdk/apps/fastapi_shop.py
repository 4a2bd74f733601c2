"""A small shop on FastAPI and SQLAlchemy (SQLite file), traced by sentry-sdk.

Run by tests/sdk/test_perf_fastapi.py in a child process with ``SENTRY_DSN``, ``HERON_MARK``
(a word in every route, so the shared server's data can be told apart) and ``HERON_DB``.
Three endpoints: an item list that lazy-loads each item's reviews (an N+1: one query per
row), a price lookup that calls a loopback HTTP peer, and a checkout that raises. Each is
called several times through Starlette's test client; the last stdout line says what the SDK
sent (see recorder.py).
"""

from __future__ import annotations

import os
import time

import httpx
import sentry_sdk
from recorder import Recorder, loopback_peer
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

MARK = os.environ["HERON_MARK"]
ITEMS = 8
ITEM_CALLS = 20
RATE_CALLS = 5
CHECKOUT_CALLS = 3
REVIEW_QUERY_PAUSE = 0.008  # s per lazy load: 8 of them are well over the 50 ms N+1 floor

recorder = Recorder()
sentry_sdk.init(
    os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    release=f"shop@{MARK}",
    environment="perf",
    integrations=[StarletteIntegration(), FastApiIntegration(), SqlalchemyIntegration()],
    before_send=recorder.error,
    before_send_transaction=recorder.transaction,
    # Without this the test client's own httpx calls would carry trace headers and every
    # request would join one trace; each request must start its own.
    trace_propagation_targets=[],
)

from fastapi import FastAPI  # noqa: E402  (after init, as the SDK docs advise)
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import ForeignKey, create_engine, event, select  # noqa: E402
from sqlalchemy.orm import (  # noqa: E402
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    reviews: Mapped[list[Review]] = relationship(back_populates="item")


class Review(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    stars: Mapped[int]
    item: Mapped[Item] = relationship(back_populates="reviews")


engine = create_engine(f"sqlite:///{os.environ['HERON_DB']}")


@event.listens_for(engine, "do_execute")
def _slow_review_lookups(cursor: object, statement: str, params: object, context: object) -> None:
    # Inside the cursor call, so inside the SDK's db span: every lazy load takes ≥ 8 ms and
    # the N+1 crosses the detector's total-time floor on every request, not just on slow runs.
    if "FROM reviews" in statement:
        time.sleep(REVIEW_QUERY_PAUSE)


Base.metadata.create_all(engine)
with Session(engine) as session, session.begin():
    for i in range(ITEMS):
        item = Item(name=f"item {i}")
        item.reviews = [Review(stars=1 + (i + k) % 5) for k in range(2)]
        session.add(item)

PEER = loopback_peer()
app = FastAPI()


@app.get(f"/{MARK}/items")
def list_items(pause_ms: int = 0) -> list[dict[str, object]]:
    time.sleep(pause_ms / 1000)
    with Session(engine) as session:
        items = session.scalars(select(Item).order_by(Item.id)).all()
        # item.reviews lazy-loads: one SELECT per item, the N+1 this test wants.
        return [{"name": i.name, "stars": [r.stars for r in i.reviews]} for i in items]


@app.get(f"/{MARK}/prices/{{item_id}}")
def price(item_id: int) -> dict[str, object]:
    rate = httpx.get(f"{PEER}/rates/{item_id}", params={"currency": "eur"}).json()
    return {"item": item_id, "rate": rate["rate"]}


@app.get(f"/{MARK}/checkout")
def pay_for_basket() -> None:
    # Frames of both apps are in module __main__: a name and line of its own keeps this
    # error from grouping with the Django app's.
    raise RuntimeError(f"basket {MARK} declined by the payment provider")


client = TestClient(app, raise_server_exceptions=False)
statuses = []
for n in range(ITEM_CALLS):
    statuses.append(client.get(f"/{MARK}/items", params={"pause_ms": 3 * n}).status_code)
for n in range(RATE_CALLS):
    statuses.append(client.get(f"/{MARK}/prices/{100 + n}").status_code)
for _ in range(CHECKOUT_CALLS):
    statuses.append(client.get(f"/{MARK}/checkout").status_code)
assert statuses == [200] * (ITEM_CALLS + RATE_CALLS) + [500] * CHECKOUT_CALLS, statuses
sentry_sdk.flush()
recorder.dump()
