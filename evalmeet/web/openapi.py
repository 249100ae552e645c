"""The OpenAPI 3.1 document of ``/api/v1`` (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _answer(status: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {JSON: {"schema": schema}}
    return {status: out}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(status: str, media_type: str) -> dict[str, Any]:
    return {
        status: {
            "description": "A file download",
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


def _errors(*statuses: str) -> dict[str, Any]:
    texts = {
        "400": "Malformed request (code invalid_json, csrf_failed)",
        "401": "No valid token or session (code unauthorized)",
        "403": "Not allowed for this role (code forbidden)",
        "404": "Unknown id (codes meeting_not_found, item_not_found, ...)",
        "409": "Conflicts with the current state (codes quorum_not_met, voting_closed, ...)",
        "422": "Invalid field (code validation_error; details.field names it)",
    }
    out: dict[str, Any] = {}
    for status in statuses:
        out.update(_answer(status, texts[status], _ref("Error")))
    return out


def _op(
    summary: str,
    ok: dict[str, Any],
    errors: tuple[str, ...],
    body: dict[str, Any] | None = None,
    params: list[str] | None = None,
    public: bool = False,
    query: list[str] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**ok, **_errors(*errors)}}
    if body is not None:
        op["requestBody"] = _body(body)
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for p in params or []
    ] + [{"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in query or []]
    if parameters:
        op["parameters"] = parameters
    if public:
        op["security"] = []
    return op


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
MONEY = {"type": ["string", "number", "null"], "description": "yuan, at most two decimals"}
FRACTION = {"type": "string", "pattern": r"^\d+(/\d+)?$", "examples": ["2/3"]}
NULL_STR = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        ["error"],
        error=_obj(["code", "message"], code=STR, message=STR, details={"type": "object"}),
    ),
    "MeetingCreate": _obj(
        ["title"],
        title={"type": "string", "minLength": 1, "maxLength": 200},
        scheduled_at={"type": ["string", "null"], "format": "date-time"},
        location={"type": ["string", "null"], "maxLength": 200},
        scale={"type": "string", "enum": ["three_level", "pass_fail"]},
        pass_threshold=FRACTION,
        quorum=FRACTION,
        rehearsal=BOOL,
    ),
    "Meeting": _obj(
        ["id", "title", "status", "scale", "pass_threshold", "quorum", "published"],
        id=INT,
        title=STR,
        status={"type": "string", "enum": ["draft", "live", "closed"]},
        scheduled_at=NULL_STR,
        location=STR,
        scale=STR,
        pass_threshold=STR,
        quorum=STR,
        published=BOOL,
        rehearsal=BOOL,
        phase=STR,
        current_item_id={"type": ["integer", "null"]},
        items={"type": "array", "items": _ref("Item")},
    ),
    "RepresentativeCreate": _obj(
        ["name", "employee_no"],
        name={"type": "string", "minLength": 1, "maxLength": 100},
        employee_no={"type": "string", "minLength": 1, "maxLength": 64},
        department={"type": ["string", "null"], "maxLength": 100},
    ),
    "Representative": _obj(
        ["id", "name", "employee_no", "join_token", "join_url"],
        id=INT,
        name=STR,
        employee_no=STR,
        department=STR,
        join_token=STR,
        join_url=STR,
        present=BOOL,
        revoked=BOOL,
    ),
    "ItemCreate": _obj(
        ["title", "responsible_person"],
        title={"type": "string", "minLength": 1, "maxLength": 200},
        responsible_person=_obj(
            ["name"],
            name={"type": "string", "minLength": 1, "maxLength": 100},
            position={"type": ["string", "null"]},
            department={"type": ["string", "null"]},
        ),
        procurement_method={
            "type": ["string", "null"],
            "enum": ["single_source", "tender", "inquiry", "negotiation", "other", None],
        },
        supplier_count={"type": ["integer", "null"], "minimum": 0},
        amount=MONEY,
        benchmark_price=MONEY,
        unit_price=MONEY,
        description={"type": ["string", "null"], "maxLength": 10000},
    ),
    "Item": _obj(
        ["id", "status", "risk_flags"],
        id=INT,
        meeting_id=INT,
        position=INT,
        title=STR,
        status=STR,
        risk_flags={"type": "array", "items": _obj(["code", "message"], code=STR, message=STR)},
    ),
    "Result": _obj(
        ["item_id", "scale", "counts", "ballots", "present", "satisfaction", "passed"],
        item_id=INT,
        round=INT,
        scale=STR,
        counts={"type": "object", "additionalProperties": INT},
        ballots=INT,
        present=INT,
        roster=INT,
        satisfaction={"type": "string", "examples": ["7/9"]},
        pass_threshold=STR,
        passed=BOOL,
    ),
    "ActionCreate": _obj(
        ["kind", "description"],
        kind={
            "type": "string",
            "enum": [
                "rectification",
                "retender",
                "warning",
                "party_discipline",
                "administrative_discipline",
                "reassignment",
                "other",
            ],
        },
        description={"type": "string", "minLength": 1, "maxLength": 5000},
        owner={"type": ["string", "null"]},
        due_date={"type": ["string", "null"], "format": "date"},
    ),
    "ActionUpdate": _obj(
        [],
        status={"type": "string", "enum": ["open", "in_progress", "done", "verified"]},
        note={"type": ["string", "null"]},
        owner={"type": ["string", "null"]},
        due_date={"type": ["string", "null"], "format": "date"},
    ),
    "Action": _obj(
        ["id", "kind", "status"],
        id=INT,
        item_id=INT,
        kind=STR,
        status=STR,
        description=STR,
        owner=STR,
        due_date=NULL_STR,
        overdue=BOOL,
    ),
    "Stats": _obj(
        [
            "meetings",
            "attendances",
            "items",
            "items_passed",
            "items_failed",
            "people_disciplined",
            "actions_open",
            "actions_overdue",
        ],
        meetings=INT,
        attendances=INT,
        items=INT,
        items_passed=INT,
        items_failed=INT,
        people_disciplined=INT,
        actions_open=INT,
        actions_overdue=INT,
    ),
}

R = "Meeting"
E_WRITE = ("400", "401", "403", "404", "409", "422")


def paths() -> dict[str, Any]:
    """Every documented path."""
    m = ["meeting_id"]
    i = ["item_id"]
    return {
        "/meetings": {
            "post": _op(
                "Create a draft meeting",
                _answer("201", "Created", _ref(R)),
                ("400", "401", "403", "422"),
                body=_ref("MeetingCreate"),
            ),
            "get": _op(
                "List meetings",
                _answer("200", "Meetings, newest first", {"type": "array", "items": _ref(R)}),
                ("401",),
            ),
        },
        "/meetings/{meeting_id}": {
            "get": _op(
                "One meeting with its items", _answer("200", "Meeting", _ref(R)), ("401", "404"), params=m
            ),
            "patch": _op(
                "Edit a meeting",
                _answer("200", "Meeting", _ref(R)),
                E_WRITE,
                body=_ref("MeetingCreate") | {"required": []},
                params=m,
            ),
        },
        "/meetings/{meeting_id}/representatives": {
            "post": _op(
                "Add a representative to the roster",
                _answer("201", "Created", _ref("Representative")),
                E_WRITE,
                body=_ref("RepresentativeCreate"),
                params=m,
            ),
            "get": _op(
                "The roster with join links", _answer("200", "Roster"), ("401", "403", "404"), params=m
            ),
        },
        "/meetings/{meeting_id}/items": {
            "post": _op(
                "Add an item",
                _answer("201", "Created", _ref("Item")),
                E_WRITE,
                body=_ref("ItemCreate"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/start": {
            "post": _op(
                "Start (draft → live)",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/finish": {
            "post": _op(
                "Finish (live → closed)",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/publish": {
            "post": _op(
                "Publish a closed meeting (厂务公开)",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/next": {
            "post": _op(
                "Present the next item not yet voted on (409 no_pending_item)",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/clear": {
            "post": _op(
                "Take the item off every screen",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/questions/open": {
            "post": _op(
                "Open the floor for questions on the item presented (409 no_current_item)",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/questions/close": {
            "post": _op(
                "Close the floor for questions",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=m,
            ),
        },
        "/items/{item_id}": {
            "get": _op("One item", _answer("200", "Item", _ref("Item")), ("401", "404"), params=i),
            "patch": _op(
                "Edit a pending item",
                _answer("200", "Item", _ref("Item")),
                E_WRITE,
                body={"type": "object"},
                params=i,
            ),
        },
        "/items/{item_id}/present": {
            "post": _op(
                "Put the item on every screen",
                _answer("200", "Meeting", _ref(R)),
                ("401", "403", "404", "409"),
                params=i,
            ),
        },
        "/items/{item_id}/voting/open": {
            "post": _op(
                "Open voting (409 quorum_not_met)",
                _answer("200", "Item", _ref("Item")),
                ("401", "403", "404", "409"),
                params=i,
            ),
        },
        "/items/{item_id}/voting/close": {
            "post": _op(
                "Close voting and freeze the result",
                _answer("200", "Result", _ref("Result")),
                ("401", "403", "404", "409"),
                params=i,
            ),
        },
        "/items/{item_id}/revote": {
            "post": _op(
                "Re-run a decided item's vote with a reason",
                _answer("200", "Item", _ref("Item")),
                E_WRITE,
                body=_obj(["reason"], reason={"type": "string", "minLength": 1}),
                params=i,
            ),
        },
        "/items/{item_id}/result": {
            "get": _op(
                "The frozen result (409 while voting)",
                _answer("200", "Result", _ref("Result")),
                ("401", "404", "409"),
                params=i,
            ),
        },
        "/items/{item_id}/results": {
            "get": _op("Every round's frozen result", _answer("200", "Results"), ("401", "404"), params=i),
        },
        "/items/{item_id}/receipts": {
            "get": _op(
                "Receipt codes after close (no choices); without a login only for published meetings",
                _answer(
                    "200",
                    "Receipts",
                    _obj(["item_id", "receipts"], item_id=INT, receipts={"type": "array", "items": STR}),
                ),
                ("401", "404", "409"),
                params=i,
                public=True,
            ),
        },
        "/receipts/{code}": {
            "get": {
                **_op(
                    "Was the ballot with this receipt counted? (no login; never the choice)",
                    _answer(
                        "200",
                        "ReceiptCheck",
                        _obj(
                            ["receipt", "item_id", "round", "counted"],
                            receipt=STR,
                            item_id=INT,
                            round=INT,
                            counted={"type": "boolean"},
                        ),
                    ),
                    ("404",),
                    public=True,
                ),
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            },
        },
        "/items/{item_id}/questions": {
            "get": _op(
                "All questions on an item", _answer("200", "Questions"), ("401", "403", "404"), params=i
            ),
        },
        "/questions/{question_id}": {
            "patch": _op(
                "Moderate a question",
                _answer("200", "Question"),
                E_WRITE,
                body=_obj(
                    [],
                    status={"type": "string", "enum": ["pending", "approved", "hidden", "answered"]},
                    answer={"type": ["string", "null"]},
                ),
                params=["question_id"],
            ),
        },
        "/items/{item_id}/actions": {
            "post": _op(
                "Record a follow-up action",
                _answer("201", "Created", _ref("Action")),
                E_WRITE,
                body=_ref("ActionCreate"),
                params=i,
            ),
            "get": _op("An item's actions", _answer("200", "Actions"), ("401", "404"), params=i),
        },
        "/actions/{action_id}": {
            "patch": _op(
                "Move an action along",
                _answer("200", "Action", _ref("Action")),
                E_WRITE,
                body=_ref("ActionUpdate"),
                params=["action_id"],
            ),
        },
        "/representatives/{rep_id}": {
            "patch": _op(
                "Edit, mark present/absent, or revoke a representative",
                _answer("200", "Representative", _ref("Representative")),
                E_WRITE,
                body=_obj(
                    [],
                    name=STR,
                    employee_no=STR,
                    department=STR,
                    present=BOOL,
                    revoked={"type": "boolean", "enum": [True]},
                ),
                params=["rep_id"],
            ),
        },
        "/stats": {
            "get": _op("Totals over closed meetings", _answer("200", "Stats", _ref("Stats")), ("401",)),
        },
        "/meetings/{meeting_id}/minutes.pdf": {
            "get": _op(
                "Minutes (会议纪要) of a closed meeting as PDF",
                _file("200", "application/pdf"),
                ("401", "404", "409"),
                params=m,
            ),
        },
        "/meetings/{meeting_id}/minutes.xlsx": {
            "get": _op(
                "Minutes (会议纪要) of a closed meeting as an Excel workbook",
                _file("200", XLSX),
                ("401", "404", "409"),
                params=m,
            ),
        },
        **{
            f"/exports/{what}.{fmt}": {
                "get": _op(
                    f"Every {'decided item' if what == 'items' else 'follow-up action'} of closed meetings"
                    f" as {fmt.upper()} (filters: q, from, to)",
                    _file("200", XLSX if fmt == "xlsx" else "text/csv"),
                    ("401", "422"),
                    query=["q", "from", "to"],
                ),
            }
            for what in ("items", "actions")
            for fmt in ("xlsx", "csv")
        },
    }


def document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "evalmeet API",
            "version": "1",
            "description": "Democratic evaluation meetings (民主评价会). Errors: "
            '{"error": {"code": "<snake_case>", "message": "..."}}. Money travels as strings.',
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "browser session; unsafe methods need X-CSRFToken",
                },
            },
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths(),
    }
