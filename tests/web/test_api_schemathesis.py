"""Schemathesis: requests generated from our OpenAPI document, answers checked against it.

Every documented operation is driven (as a moderator, through the Flask test client) with
schema-shaped and schema-breaking data; each answer must be < 500, have a documented status and
content type, and a body that matches the document's schema for it (the document is generated
from the same pydantic models the views answer with); every error has the
``{"error": {"code", "message"}}`` shape. Ids in paths are drawn small so real rows get hit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from evalmeet.web.api import document
from tests.conftest import make_account, make_test_app

CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _document() -> dict:
    folder = Path(tempfile.mkdtemp())
    with make_test_app(f"sqlite:///{folder / 'doc.db'}", folder / "instance").app_context():
        return document()


SCHEMA = schemathesis.openapi.from_dict(_document())
OPERATIONS = [op.ok() for op in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def seeded():
    """One app with a draft, a live and a closed meeting to aim the generated ids at."""
    folder = Path(tempfile.mkdtemp())
    app = make_test_app(f"sqlite:///{folder / 'st.db'}", folder / "instance")
    token = make_account(app, "fuzz", "moderator")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for n in range(3):
        meeting = client.post("/api/v1/meetings", json={"title": f"m{n}"}, headers=auth).get_json()
        client.post(
            f"/api/v1/meetings/{meeting['id']}/representatives",
            json={"name": "r", "employee_no": "1"},
            headers=auth,
        )
        item = client.post(
            f"/api/v1/meetings/{meeting['id']}/items",
            json={"title": "i", "responsible_person": {"name": "p"}},
            headers=auth,
        ).get_json()
        client.post(
            f"/api/v1/items/{item['id']}/actions", json={"kind": "other", "description": "d"}, headers=auth
        )
        if n:
            client.post(f"/api/v1/meetings/{meeting['id']}/start", headers=auth)
    return app, auth


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS])
def test_generated_requests_never_500(seeded, operation):
    app, auth = seeded
    client = app.test_client()

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(), small_id=st.integers(1, 4))
    def run(case, small_id):
        path_parameters = {
            k: small_id if isinstance(v, int) else v for k, v in (case.path_parameters or {}).items()
        }
        path = "/api/v1" + operation.path.format(**path_parameters)
        kwargs = {"headers": auth, "query_string": case.query or None}
        if not isinstance(case.body, NotSet):
            kwargs["json"] = case.body
        response = client.open(path, method=case.method, **kwargs)
        assert response.status_code < 500, (
            case.method,
            path,
            case.body,
            response.get_data(as_text=True)[:300],
        )
        if response.status_code >= 400:
            error = (response.get_json() or {}).get("error") or {}
            assert error.get("code") and error.get("message"), response.get_data(as_text=True)[:300]
        case.validate_response(response, checks=CHECKS)

    run()
