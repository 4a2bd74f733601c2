"""LLM budgets from the web UI, on both backends: an admin creates, changes and deletes them
with the forms under the LLM overview (no JavaScript: plain POSTs, 303 back to the page);
refused forms come back as typed with a 400; a member sees the table but no forms and gets
403; a POST without the CSRF token is refused; another organization's project is 404.
A model call sent through ingest and the digest shows as each budget's use."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from heron import actions
from heron.store import tables
from tests.api.harness import Heron, TestClient
from tests.web.conftest import log_in, new_client
from tests.web.perf_helpers import root_span, send_transactions, span, trace_of, transaction
from tests.web.projects_helpers import admin, member, post
from tests.web.test_performance_pages import no_inline_code, rows

# gpt-4o's bundled prices: $2.50 per 1M input tokens, $10.00 per 1M output tokens.
INPUT, OUTPUT = 1000, 200
COST = (INPUT * 2.50 + OUTPUT * 10.00) / 1_000_000  # $0.0045

GOOD = {
    "name": "",
    "scope": "model",
    "scope_value": "gpt-4o",
    "period": "month",
    "unit": "usd",
    "amount": "0.01",
    "thresholds": "50, 80,100 %",
}


def _send_model_call(heron: Heron) -> None:
    """One transaction with one gpt-4o call of INPUT and OUTPUT tokens, digested."""
    txn = transaction("tasks.answer_ticket", 900.0, age=2.0)
    call = span(
        root_span(txn),
        "gen_ai.chat",
        "chat gpt-4o",
        txn["start_timestamp"],
        800.0,
        trace_id=trace_of(txn),
        data={
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": INPUT,
            "gen_ai.usage.output_tokens": OUTPUT,
        },
    )
    txn["spans"] = [call]
    send_transactions(heron, txn)


def _budgets(heron: Heron) -> list[dict[str, Any]]:
    """The budgets rows, oldest first."""
    b = tables.llm_budgets.c
    with heron.db.read() as conn:
        found = conn.execute(select(tables.llm_budgets).order_by(b.id)).mappings()
        return [dict(row) for row in found]


def _page(client: TestClient, heron: Heron, **params: str) -> str:
    response = client.get("/llm/", params={"project": str(heron.project_id), **params})
    assert response.status_code == 200, response.text
    no_inline_code(response.text)
    return response.text


def _section(page: str) -> str:
    return page[page.index('<h2 id="budgets">') :]


def _table(page: str) -> list[list[str]]:
    return rows(page, "llm-budgets")


def _value(page: str, name: str) -> str:
    """The value of the form's input ``name`` as the page shows it."""
    match = re.search(rf'<input id="[^"]+" name="{name}" value="([^"]*)"', page)
    assert match, f"no input {name}"
    return match.group(1)


def _selected(page: str, name: str) -> str:
    select_html = re.search(rf'<select id="[^"]+" name="{name}".*?</select>', page, re.S)
    assert select_html, f"no select {name}"
    chosen = re.findall(r'<option value="([^"]*)" selected>', select_html.group(0))
    assert len(chosen) == 1, chosen
    return str(chosen[0])


def _new(heron: Heron) -> str:
    return f"/llm/{heron.project_id}/budgets/new"


def test_an_admin_creates_budgets_and_sees_what_they_used(heron: Heron) -> None:
    _send_model_call(heron)
    client = admin(heron)
    # No budgets yet: the section is there with its form.
    section = _section(_page(client, heron))
    assert "This project has no budgets." in section
    assert f'action="/llm/{heron.project_id}/budgets/new"' in section
    assert "New budget" in section and 'name="csrf_token"' in section

    response = post(client, _new(heron), **GOOD)
    assert response.status_code == 303, response.text
    target = f"/llm/?project={heron.project_id}&saved=created#budgets"
    assert response.headers["location"] == target
    tokens = {**GOOD, "scope": "project", "scope_value": "ignored", "unit": "tokens"}
    tokens.update(name="All tokens", amount="4800", thresholds="")
    assert post(client, _new(heron), **tokens).status_code == 303

    first, second = _budgets(heron)
    assert (first["project_id"], first["name"], first["scope"]) == (
        heron.project_id,
        "model gpt-4o",  # made from the scope when left empty
        "model",
    )
    assert (first["scope_value"], first["period"], first["unit"]) == ("gpt-4o", "month", "usd")
    assert (first["amount"], first["thresholds"]) == ("0.01", "50,80,100")
    # A project budget has no scope value (what was typed there is not used); the default
    # thresholds when none are given.
    assert (second["name"], second["scope"], second["scope_value"]) == (
        "All tokens",
        "project",
        None,
    )
    assert (second["unit"], second["amount"], second["thresholds"]) == (
        "tokens",
        "4800",
        "50,80,100",
    )

    page = client.get(target).text
    no_inline_code(page)
    assert '<p class="notice" role="status">The budget was created.</p>' in page
    # Columns: budget, scope, period, used, amount, used %, crossed, change link.
    table = _table(page)
    assert [r[:2] + r[3:] for r in table] == [
        [
            "model gpt-4o",
            "model: gpt-4o",
            f"${COST:.4f}",
            "$0.0100",
            f"{COST / 0.01 * 100:.1f} %",  # 45.0 %
            "none",
            "Change",
        ],
        [
            "All tokens",
            "project",
            f"{INPUT + OUTPUT} tokens",
            "4800 tokens",
            f"{(INPUT + OUTPUT) / 4800 * 100:.1f} %",  # 25.0 %
            "none",
            "Change",
        ],
    ]
    assert table[0][2].startswith("month from ")
    assert "45.0 %" in page and "25.0 %" in page  # the figures above, by hand


def test_refused_forms_come_back_as_typed(heron: Heron) -> None:
    client = admin(heron)
    cases = [
        ({"amount": "ten dollars"}, "amount", "Amount: a positive number (USD or tokens)."),
        ({"amount": "-5"}, "amount", "Amount: a positive number (USD or tokens)."),
        ({"amount": ""}, "amount", "Amount: a positive number (USD or tokens)."),
        (
            {"thresholds": "50, eighty"},
            "thresholds",
            "Thresholds: whole percentages separated by commas, such as 50, 80, 100.",
        ),
        (
            {"thresholds": "50; 80"},
            "thresholds",
            "Thresholds: whole percentages separated by commas, such as 50, 80, 100.",
        ),
        (
            {"thresholds": "0, 2000"},
            "thresholds",
            "Thresholds: 1 to 10 whole percentages between 1 and 1000.",
        ),
        ({"scope_value": "  "}, "scope_value", "Scope value: the model the budget is for."),
        ({"scope": "galaxy"}, "scope", "Scope: one of project, environment, model"),
        ({"period": "year"}, "period", "Period: one of day, week, month."),
    ]
    for change, field, message in cases:
        typed = {**GOOD, "name": "<b>Ops</b>", **change}
        response = post(client, _new(heron), **typed)
        assert response.status_code == 400, (change, response.text)
        page = response.text
        no_inline_code(page)
        error = '<p class="error" role="alert" id="budget-error">Nothing was saved. '
        assert error + message in page, change
        assert "<b>Ops</b>" not in page  # escaped, as everywhere
        assert _value(page, "name") == "&lt;b&gt;Ops&lt;/b&gt;"
        for name in ("scope_value", "amount", "thresholds"):
            assert _value(page, name) == typed[name], (change, name)
        if typed["scope"] in ("model", "project"):
            assert _selected(page, "scope") == typed["scope"]
        assert _selected(page, "unit") == "usd"
        # The field refused is marked, and points to the message.
        marked = re.findall(
            r'name="(\w+)"[^>]*aria-invalid="true" aria-describedby="([^"]*)"', page
        )
        assert [(name, ids.split()[-1]) for name, ids in marked] == [(field, "budget-error")]
    assert _budgets(heron) == []


def test_an_admin_changes_a_budget(heron: Heron) -> None:
    budget = actions.create_llm_budget(
        heron.db, "heron", "default", {"amount": "25", "thresholds": [90]}
    )
    client = admin(heron)
    page = _page(client, heron, budget=str(budget))
    assert "Change the budget “project”" in page
    assert f'action="/llm/{heron.project_id}/budgets/{budget}"' in page
    assert (_value(page, "name"), _value(page, "amount"), _value(page, "thresholds")) == (
        "project",
        "25",
        "90",
    )
    assert (_selected(page, "scope"), _selected(page, "period")) == ("project", "month")
    assert f'action="/llm/{heron.project_id}/budgets/{budget}/delete"' in page

    # The name left as shown: a name made from the scope follows the new scope.
    changed = {
        "name": "project",
        "scope": "environment",
        "scope_value": "production",
        "period": "week",
        "unit": "tokens",
        "amount": "1000000",
        "thresholds": "75,50",
    }
    response = post(client, f"/llm/{heron.project_id}/budgets/{budget}", **changed)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == (
        f"/llm/?project={heron.project_id}&saved=changed#budgets"
    )
    (row,) = _budgets(heron)
    assert (row["id"], row["name"], row["scope"], row["scope_value"]) == (
        budget,
        "environment production",
        "environment",
        "production",
    )
    assert (row["period"], row["unit"], row["amount"], row["thresholds"]) == (
        "week",
        "tokens",
        "1000000",
        "50,75",
    )

    # A refused change: the form as typed, still changing the same budget; nothing saved.
    bad = {**changed, "name": "Weekly", "amount": "0"}
    response = post(client, f"/llm/{heron.project_id}/budgets/{budget}", **bad)
    assert response.status_code == 400
    assert "Nothing was saved. Amount: a positive number (USD or tokens)." in response.text
    assert "Change the budget “environment production”" in response.text
    assert (_value(response.text, "name"), _value(response.text, "amount")) == ("Weekly", "0")
    assert _budgets(heron) == [row]

    named = {**changed, "name": "Weekly"}
    assert post(client, f"/llm/{heron.project_id}/budgets/{budget}", **named).status_code == 303
    assert _budgets(heron)[0]["name"] == "Weekly"
    page = _page(client, heron, saved="changed")
    assert "The budget was saved." in page
    assert _table(page)[0][:2] == ["Weekly", "environment: production"]


def test_an_admin_deletes_a_budget(heron: Heron) -> None:
    kept = actions.create_llm_budget(heron.db, "heron", "default", {"name": "Kept", "amount": 5})
    gone = actions.create_llm_budget(heron.db, "heron", "default", {"name": "Gone", "amount": 9})
    client = admin(heron)
    response = post(client, f"/llm/{heron.project_id}/budgets/{gone}/delete")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == (
        f"/llm/?project={heron.project_id}&saved=deleted#budgets"
    )
    assert [b["id"] for b in _budgets(heron)] == [kept]
    page = _page(client, heron, saved="deleted")
    assert "The budget was deleted." in page
    assert [r[0] for r in _table(page)] == ["Kept"]
    # Deleting it again, or changing it: not found.
    assert post(client, f"/llm/{heron.project_id}/budgets/{gone}/delete").status_code == 404
    assert post(client, f"/llm/{heron.project_id}/budgets/{gone}", **GOOD).status_code == 404
    shown = client.get("/llm/", params={"project": heron.project_id, "budget": gone})
    assert shown.status_code == 404
    assert [b["id"] for b in _budgets(heron)] == [kept]


def test_a_member_sees_budgets_but_cannot_change_them(heron: Heron) -> None:
    viewer = member(heron)
    # Without budgets a member sees no section at all (nothing to read, nothing to do).
    assert 'id="budgets"' not in _page(viewer, heron)
    budget = actions.create_llm_budget(heron.db, "heron", "default", {"amount": "25"})
    before = _budgets(heron)
    for page in (_page(viewer, heron), _page(viewer, heron, budget=str(budget))):
        section = _section(page)
        assert _table(page)[0][0] == "project"
        assert "<form" not in section and "Change" not in section
    base = f"/llm/{heron.project_id}/budgets/"
    for path, form in (
        (base + "new", GOOD),
        (base + str(budget), GOOD),
        (base + f"{budget}/delete", {}),
    ):
        response = post(viewer, path, **form)
        assert response.status_code == 403, path
        assert "Only admins and owners of the organization may change budgets." in response.text
    assert _budgets(heron) == before


def test_a_post_without_the_csrf_token_is_refused(heron: Heron) -> None:
    budget = actions.create_llm_budget(heron.db, "heron", "default", {"amount": "25"})
    before = _budgets(heron)
    client = admin(heron)
    base = f"/llm/{heron.project_id}/budgets/"
    for path, form in (
        (base + "new", GOOD),
        (base + str(budget), GOOD),
        (base + f"{budget}/delete", {}),
    ):
        for token in ({}, {"csrf_token": "forged"}):
            response = client.post(path, data={**form, **token}, follow_redirects=False)
            assert response.status_code == 403, (path, token)
            assert "security token" in response.text
    assert _budgets(heron) == before


def test_another_organizations_project_and_budgets_are_not_found(heron: Heron) -> None:
    rival_project, _token = heron.other_org()
    rival = actions.create_llm_budget(heron.db, "rivals", "secret-app", {"amount": "7"})
    own = actions.create_llm_budget(heron.db, "heron", "default", {"amount": "25"})
    before = _budgets(heron)
    client = admin(heron)
    # Their project, by its id.
    theirs = f"/llm/{rival_project}/budgets/"
    for path in (theirs + "new", theirs + str(rival), theirs + f"{rival}/delete"):
        assert post(client, path, **GOOD).status_code == 404, path
    # Their budget under our project, and ids that are no budget.
    ours = f"/llm/{heron.project_id}/budgets/"
    for budget in (str(rival), "0", "abc", "99999999999"):
        assert post(client, ours + budget, **GOOD).status_code == 404, budget
        assert post(client, ours + f"{budget}/delete").status_code == 404, budget
        response = client.get("/llm/", params={"project": heron.project_id, "budget": budget})
        assert response.status_code == 404, budget
    assert post(client, "/llm/abc/budgets/new", **GOOD).status_code == 404
    # A member of the other organization, at our project.
    eve = new_client(heron)
    log_in(eve, "eve@rivals.example", "eve's password")
    for path in (ours + "new", ours + str(own), ours + f"{own}/delete"):
        assert post(eve, path, **GOOD).status_code == 404, path
    assert _budgets(heron) == before
