"""An issue's grouping hashes (Sentry's ``/issues/{id}/hashes/``): list them, unmerge one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from heron import actions, query
from heron.api.auth import api_viewer
from heron.api.event_json import event_json
from heron.api.paging import link_header, page_request
from heron.api.responses import found_issue, json_response
from heron.query import Viewer

router = APIRouter()
ViewerDep = Annotated[Viewer, Depends(api_viewer)]


@router.get("/api/0/issues/{issue_id}/hashes/")
def issue_hashes(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    issue = found_issue(request, viewer, issue_id)
    paging = page_request(request)
    page = query.list_hashes(request.app.state.db, issue, offset=paging.offset, limit=paging.limit)
    body = [
        {
            "id": h.hash,
            "latestEvent": event_json(h.latest_event) if h.latest_event else None,
            "mergedBySeer": False,
        }
        for h in page.items
    ]
    return json_response(body, headers={"Link": link_header(request, page)})


@router.delete("/api/0/issues/{issue_id}/hashes/")
def issue_unmerge(request: Request, viewer: ViewerDep, issue_id: str) -> Response:
    """Split the hash named by ``?id=`` off into a new issue, right away.

    Sentry answers 202 and unmerges in the background; Heron is done when it answers and
    says where the events went (``newIssueId``, a Heron extra). Sentry moves several hashes
    into one new issue; Heron takes one hash per request.
    """
    issue = found_issue(request, viewer, issue_id)
    hashes = list(dict.fromkeys(h for h in request.query_params.getlist("id") if h))
    if len(hashes) != 1:
        raise HTTPException(400, "name exactly one hash to unmerge with ?id=…")
    new_id = actions.unmerge_hash(request.app.state.db, issue.id, hashes[0])
    return json_response({"newIssueId": str(new_id)}, status_code=202)
