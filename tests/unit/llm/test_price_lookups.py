"""Price lookups are remembered per table: each table answers as if it looked every name
up afresh, whatever other tables (overrides) or earlier names it has seen."""

from __future__ import annotations

from decimal import Decimal

from heron.llm import Price, PriceTable

D = Decimal


def _table() -> PriceTable:
    return PriceTable({"m-1": Price(D(1), D(2)), "m-2": Price(D(3), D(4))}, "test-1")


def test_a_table_with_overrides_does_not_answer_with_its_base_tables_lookups() -> None:
    base = _table()
    first = base.lookup("m-1-20250101", "m-2")
    assert first is not None
    assert (first.model, first.source, first.match, first.price.input) == (
        "m-1",
        "bundled",
        "normalized",
        D(1),
    )
    cheaper = base.with_overrides({"m-1": Price(D("0.5"), D(1))})
    found = cheaper.lookup("m-1-20250101", "m-2")
    assert found is not None
    assert (found.model, found.source, found.match, found.price.input) == (
        "m-1",
        "override",
        "normalized",
        D("0.5"),
    )
    assert base.lookup("m-1-20250101", "m-2") == first


def test_the_same_names_get_the_same_answer_every_time() -> None:
    table = _table()
    asked = [("m-2", None), (None, "M-2 "), ("unknown", "m-1-latest"), ("unknown", None)]
    first = [table.lookup(served, wanted) for served, wanted in asked]
    assert [f.model if f else None for f in first] == ["m-2", "m-2", "m-1", None]
    assert [f.match if f else None for f in first] == ["exact", "exact", "normalized", None]
    assert [table.lookup(served, wanted) for served, wanted in asked] == first


def test_more_names_than_are_remembered_are_still_priced() -> None:
    table = _table()
    # Snapshot dates (-YYYYMMDD) normalise away: every name is m-1 or m-2 under another name.
    names = [(f"m-{1 + n % 2}-{20200101 + n}", None) for n in range(10_000)]
    for _round in range(2):
        found = [table.lookup(served, wanted) for served, wanted in names]
        assert [f.model if f else None for f in found] == [f"m-{1 + n % 2}" for n in range(10_000)]
        assert {f.match if f else None for f in found} == {"normalized"}
