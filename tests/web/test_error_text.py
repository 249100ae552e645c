"""Refusals are translated by code: every code the app raises has a sentence, and real ones read
in Chinese by default and in English with ``?lang=en`` (API, pages, forms, socket acks)."""

from __future__ import annotations

import ast
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import default_exceptions

from evalmeet.domain.states import MEETING_STATUSES
from evalmeet.extensions import socketio
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.services.meetings import conduct
from evalmeet.web import error_text
from tests.conftest import csrf_token

PACKAGE = Path(__file__).resolve().parents[2] / "evalmeet"
# Calls that take their error code positionally: name → argument index.
POSITIONAL_CODE = {"FileRefused": 1, "refusal": 0, "RowIssue": 3}


def _literal(node: ast.AST) -> list[str]:
    """The codes a code argument can be: a string, or an f-string ``meeting_{status}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        prefix = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        assert prefix == "meeting_", f"an f-string code the test does not know: {ast.unparse(node)}"
        return [f"meeting_{status}" for status in MEETING_STATUSES]
    return []


def raised_codes_and_reasons(root: Path = PACKAGE) -> tuple[dict[str, str], dict[str, str]]:
    """``code → where`` and ``reason → where`` for every code and reason written under ``root``."""
    codes: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(root.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == [
                        "code"
                    ]:
                        for code in _literal(stmt.value):
                            codes.setdefault(code, f"{where}:{stmt.lineno}")
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "code":
                    for code in _literal(keyword.value):
                        codes.setdefault(code, f"{where}:{node.lineno}")
                if keyword.arg == "reason":
                    for reason in _literal(keyword.value):
                        reasons.setdefault(reason, f"{where}:{node.lineno}")
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "refuse" and node.args:  # schemas/types.py: a field check's reason comes first
                for reason in _literal(node.args[0]):
                    reasons.setdefault(reason, f"{where}:{node.lineno}")
            index = POSITIONAL_CODE.get(name or "")
            if index is not None and len(node.args) > index:
                for code in _literal(node.args[index]):
                    codes.setdefault(code, f"{where}:{node.lineno}")
    return codes, reasons


def test_every_code_raised_in_evalmeet_has_a_sentence(app: Flask) -> None:
    codes, reasons = raised_codes_and_reasons()
    # the scan really sees the raise sites: keyword codes, class defaults, positional codes, f-strings
    assert {"no_pending_item", "validation_error", "file_too_large", "meeting_closed"} <= set(codes)
    assert {"not_connected", "already_on_roster", "too_many_attempts", "unauthorized"} <= set(codes)
    assert {"required", "too_long", "out_of_range", "not_one_of", "import_roster"} <= set(reasons)
    with app.test_request_context("/"):
        known = error_text.known_codes()
        problems = error_text.known_reasons()
    missing = sorted(f"{where}: {code}" for code, where in codes.items() if code not in known)
    assert not missing, "codes without a sentence in web/error_text.py:\n" + "\n".join(missing)
    # a reason is a validation problem, or picks a variant "<code>.<reason>" of some code
    variants = {key.split(".", 1)[1] for key in known if "." in key}
    unknown = sorted(f"{where}: {r}" for r, where in reasons.items() if r not in problems | variants)
    assert not unknown, "reasons with neither a problem text nor a variant:\n" + "\n".join(unknown)
    assert all(key.split(".", 1)[0] in known for key in known), "a variant without its code"


def test_every_validation_error_names_its_reason_or_code() -> None:
    """Without a reason (or a code of its own) a refusal could only say "check what you entered"."""
    vague = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ValidationFailed":
                if not {"reason", "code"} & {k.arg for k in node.keywords}:
                    vague.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert vague == []


def test_the_scan_finds_codes_however_they_are_written(tmp_path: Path) -> None:
    pkg = tmp_path / "evalmeet"
    pkg.mkdir()
    (pkg / "x.py").write_text(
        "class E(Exception):\n    code = 'class_code'\n"
        "raise Conflict('m', code='kw_code', reason='a_reason')\n"
        "raise FileRefused('m', 'positional_code', 413)\n"
        "raise Conflict('m', code=f'meeting_{status}')\n",
        encoding="utf-8",
    )
    codes, reasons = raised_codes_and_reasons(pkg)
    assert set(codes) == {
        "class_code",
        "kw_code",
        "positional_code",
        "meeting_draft",
        "meeting_live",
        "meeting_closed",
    }
    assert set(reasons) == {"a_reason"}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500])
def test_http_errors_have_our_own_title_and_sentence(app: Flask, status: int) -> None:
    err = default_exceptions[status]()
    with app.test_request_context("/"):
        zh = (error_text.status_title(status), error_text.http_message(err))
    with app.test_request_context("/?lang=en"):
        en = (error_text.status_title(status), error_text.http_message(err))
    assert err.description not in (zh[1], en[1])  # never werkzeug's English sentence
    assert all(re.search("[\u4e00-\u9fff]", text) for text in zh), zh
    assert all(not re.search("[\u4e00-\u9fff]", text) for text in en), en


# --- real refusals, in Chinese and in English ----------------------------------------------------


def test_api_refusal_is_translated_by_code(api: Any, meeting_factory: Any) -> None:
    live = meeting_factory(reps=3, items=1)
    assert api.post(f"items/{live.items[0].id}/present").status_code == 200
    zh = api.post(f"meetings/{live.id}/next")
    en = api.post(f"meetings/{live.id}/next?lang=en")
    assert zh.status_code == en.status_code == 409
    assert zh.get_json()["error"] == {"code": "no_pending_item", "message": "所有项目均已表决。"}
    assert en.get_json()["error"] == {"code": "no_pending_item", "message": "Every item has been voted on."}
    # ?lang=en set the language cookie; ?lang=zh switches back
    missing = api.get("meetings/999?lang=zh")
    assert missing.get_json()["error"]["message"] == "未找到评价会 999。"
    bad = api.post("meetings?lang=en", json={"title": "x" * 201})
    assert bad.get_json()["error"]["message"] == "Title: must be at most 200 characters"
    assert bad.get_json()["error"]["details"] == {"field": "title", "reason": "too_long", "max": 200}


def test_the_404_page_speaks_the_page_language(login: Any) -> None:
    mod = login("moderator")
    page = unescape(mod.get("/meetings/999").get_data(as_text=True))
    assert "未找到评价会 999。" in page and "meeting 999 not found" not in page
    unknown = mod.get("/no/such/page")
    text = unescape(unknown.get_data(as_text=True))
    assert unknown.status_code == 404 and "此网址没有对应的页面" in text
    assert "The requested URL was not found" not in text
    english = unescape(mod.get("/meetings/999?lang=en").get_data(as_text=True))
    assert "Meeting 999 was not found." in english


def test_method_csrf_and_size_errors_are_translated(app: Flask, client: Any) -> None:
    wrong_method = client.get("/logout")
    assert wrong_method.status_code == 405 and "此网址不支持该类请求" in wrong_method.get_data(as_text=True)
    no_token = client.post("/login", data={"username": "a", "password": "b"})
    assert no_token.status_code == 400
    assert "表单已过期或并非来自本站" in no_token.get_data(as_text=True)
    too_big = client.post("/login?lang=en", data={"x": "y" * (6 * 1024 * 1024)})
    assert too_big.status_code == 413
    assert "larger than the server accepts" in too_big.get_data(as_text=True)


def test_form_field_error_is_label_and_problem(login: Any) -> None:
    mod = login("moderator")
    form = {"title": "", "scale": "three_level", "pass_threshold": "2/3", "quorum": "2/3"}
    zh = mod.post("/meetings/new", data={**form, "csrf_token": csrf_token(mod)})
    en = mod.post("/meetings/new?lang=en", data={**form, "quorum": "3/2", "csrf_token": csrf_token(mod)})
    assert zh.status_code == en.status_code == 422
    assert "标题：必填" in zh.get_data(as_text=True)
    assert "Title: is required" in unescape(en.get_data(as_text=True))


def test_socket_acks_speak_the_handshake_language(app: Flask, session: Any, meeting_factory: Any) -> None:
    live = meeting_factory(reps=3, items=1)
    token, item_id = live.reps[0].join_token, live.items[0].id
    conduct.present_item(session, item_id, "test")
    session.commit()
    acks = {}
    for lang in ("zh", "en"):
        phone = socketio.test_client(
            app, namespace=NAMESPACE, auth={"token": token}, query_string=f"lang={lang}"
        )
        assert phone.is_connected(NAMESPACE)
        acks[lang] = phone.emit(
            "cast_vote",
            {"item_id": item_id, "choice": "satisfied", "key": "k" * 24},
            namespace=NAMESPACE,
            callback=True,
        )
        phone.disconnect(namespace=NAMESPACE)
    assert acks["zh"]["error"]["code"] == acks["en"]["error"]["code"] == "voting_closed"
    assert re.search("[\u4e00-\u9fff]", acks["zh"]["error"]["message"])
    assert acks["en"]["error"]["message"] == "Voting on this item is closed."
