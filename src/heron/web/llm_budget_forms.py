"""The LLM budget form of the LLM overview: its fields as typed and as the actions take them,
what the page shows around it, and the budget a form names."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request

from heron import actions
from heron.query import Project, Viewer, llm_budgets
from heron.web.settings_base import path_id

Text = Annotated[str, Form()]

BUDGET_MANAGERS = "Only admins and owners of the organization may change budgets."
NOTICES = {
    "created": "The budget was created.",
    "changed": "The budget was saved.",
    "deleted": "The budget was deleted.",
}
UNITS = {"usd": "USD", "tokens": "tokens"}
NEW_BUDGET = {
    "name": "",
    "scope": "project",
    "scope_value": "",
    "period": "month",
    "unit": "usd",
    "amount": "",
    "thresholds": "50, 80, 100",
}
# The fields as the actions name them (in their messages) → (form field, label).
FORM_FIELDS = {
    "name": ("name", "Name"),
    "scope": ("scope", "Scope"),
    "scopeValue": ("scope_value", "Scope value"),
    "period": ("period", "Period"),
    "unit": ("unit", "Unit"),
    "amount": ("amount", "Amount"),
    "thresholds": ("thresholds", "Thresholds"),
}


def budget_form(
    name: Text = "",
    scope: Text = "",
    scope_value: Text = "",
    period: Text = "",
    unit: Text = "",
    amount: Text = "",
    thresholds: Text = "",
) -> dict[str, str]:
    """The budget form as it was typed."""
    return {
        "name": name,
        "scope": scope,
        "scope_value": scope_value,
        "period": period,
        "unit": unit,
        "amount": amount,
        "thresholds": thresholds,
    }


BudgetForm = Annotated[dict[str, str], Depends(budget_form)]


def budget_or_404(request: Request, project: Project, budget_id: str) -> llm_budgets.Budget:
    budget = llm_budgets.get_budget(request.app.state.db, project.id, path_id(budget_id))
    if budget is None:
        raise HTTPException(404, "No such budget")
    return budget


def budget_fields(form: dict[str, str]) -> dict[str, Any]:
    """The form as the actions take it; thresholds that are not a list of numbers raise."""
    scope = form["scope"]
    return {
        "name": form["name"].strip(),
        "scope": scope,
        # Without JavaScript the value field stays there when "project" is picked: unused.
        "scopeValue": None if scope == "project" else form["scope_value"].strip(),
        "period": form["period"],
        "unit": form["unit"],
        "amount": form["amount"].strip(),
        "thresholds": thresholds_of(form["thresholds"]),
    }


def thresholds_of(text: str) -> list[int] | None:
    """``50, 80, 100`` (a % sign allowed) → [50, 80, 100]; empty → None (the defaults)."""
    parts = [p.strip().removesuffix("%").strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return None
    if not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
        raise actions.ActionError(
            "thresholds: whole percentages separated by commas, such as 50, 80, 100"
        )
    return [int(p) for p in parts]


def form_of(budget: llm_budgets.Budget) -> dict[str, str]:
    return {
        "name": budget.name,
        "scope": budget.scope,
        "scope_value": budget.scope_value or "",
        "period": budget.period,
        "unit": budget.unit,
        "amount": format(budget.amount, "f"),
        "thresholds": ", ".join(str(t) for t in budget.thresholds),
    }


def budget_form_context(
    viewer: Viewer,
    project: Project | None,
    editing: llm_budgets.Budget | None,
    form: dict[str, str] | None,
    problem: actions.ActionError | None,
) -> dict[str, Any]:
    """What the budgets section shows besides the table: the form (admins only), filled
    with ``form`` or the budget ``editing``, and the ``problem`` with the field it is about."""
    if form is None:
        form = form_of(editing) if editing is not None else NEW_BUDGET
    error, invalid = "", ""
    if problem is not None:
        field, colon, reason = str(problem).partition(": ")
        if colon and field in FORM_FIELDS:
            invalid, label = FORM_FIELDS[field]
            error = f"Nothing was saved. {label}: {reason}."
        else:
            error = f"Nothing was saved: {problem}."
    return {
        "may_manage": project is not None and viewer.may_manage(project.organization.id),
        "editing": editing,
        "form": form,
        "form_error": error,
        "invalid": invalid,
        "scopes": tuple(llm_budgets.SCOPES),
        "budget_periods": llm_budgets.PERIODS,
        "units": UNITS,
    }
