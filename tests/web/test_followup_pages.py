"""Follow-up pages: dashboard, action page with progress, edits and evidence, report-back, wipe.

Permissions (viewers read, moderators change, anonymous users log in first), CSRF, escaping,
upload limits and download headers, and that every UI string has its Chinese translation.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from evalmeet.domain import clock
from evalmeet.extensions import db, socketio
from evalmeet.models import Action, ActionAttachment, ActionNote, Item, Meeting, ReportBackLink
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate
from evalmeet.services.followup import actions, evidence
from tests.conftest import csrf_token
from tests.factories import action_on
from tests.services.test_followup import PDF, PNG, closed_meeting_with_actions

XSS = '<script>alert("x")</script>'


@pytest.fixture
def world(app, session, meeting_factory):
    """A finished meeting with four actions (one overdue), as plain ids."""
    live, made = closed_meeting_with_actions(session, meeting_factory)
    overdue = actions.add_action(
        session,
        live.items[0].id,
        parse(
            ActionCreate,
            {
                "kind": "reassignment",
                "description": "调离采购岗位",
                "owner": "人事处",
                "due_date": (clock.today() - timedelta(days=4)).isoformat(),
            },
        ),
        "mod",
    ).value
    session.commit()
    ids = {status: a.id for status, a in made.items()}
    ids["overdue"] = overdue.id
    ids["meeting"] = live.id
    ids["item"] = live.items[0].id
    return ids


@pytest.fixture
def moderator(login):
    return login("moderator")


def token(client):
    return csrf_token(client)


def submit(client, url, **fields):
    """Post a form with ``fields`` and the session's CSRF token."""
    return client.post(url, data={**fields, "csrf_token": token(client)})


def uploads_dir(app) -> Path:
    return Path(app.instance_path) / "uploads"


def multipart(fields: dict[str, str], filename: str | None, data: bytes) -> tuple[bytes, str]:
    """A multipart body built in memory (the test client would spool big bodies to unclosed
    temporary files whenever the server refuses them before reading to the end)."""
    boundary = "----evalmeet-test-boundary-7d3f"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    if filename is not None:
        encoded = quote(filename, safe="")
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''{encoded}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(client, action_id, data, name, *, csrf=True, headers=None):
    fields = {"csrf_token": token(client)} if csrf else {}
    body, content_type = multipart(fields, name, data)
    return client.post(
        f"/actions/{action_id}/attachments", data=body, content_type=content_type, headers=headers
    )


def attachment_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ActionAttachment))


# --- permissions ------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login(client, world):
    for path in (
        "/actions",
        f"/actions/{world['open']}",
        f"/items/{world['item']}/actions/new",
        f"/meetings/{world['meeting']}/report-back",
        f"/meetings/{world['meeting']}/wipe",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert client.post(f"/actions/{world['open']}/progress", data={"status": "done"}).status_code in (
        302,
        400,
    )
    assert client.get(f"/actions/{world['open']}/attachments/1").status_code == 302


def test_viewers_read_but_cannot_change_anything(app, login, world):
    viewer = login("viewer")
    assert viewer.get("/actions").status_code == 200
    page = viewer.get(f"/actions/{world['open']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/progress" not in html and '/attachments"' not in html  # no forms for viewers
    csrf = token(viewer)
    posts = [
        (f"/actions/{world['open']}/progress", {"status": "in_progress"}),
        (f"/actions/{world['open']}/edit", {"owner": "x", "description": "y"}),
        (f"/actions/{world['open']}/attachments/1/delete", {}),
        (f"/items/{world['item']}/actions/new", {"kind": "other", "description": "d"}),
        (f"/meetings/{world['meeting']}/report-back", {"action_id": str(world["open"])}),
        (f"/meetings/{world['meeting']}/wipe", {"confirm": "wipe"}),
    ]
    for path, data in posts:
        assert viewer.post(path, data={**data, "csrf_token": csrf}).status_code == 403, path
    assert upload(viewer, world["open"], PDF, "a.pdf").status_code == 403
    assert viewer.get(f"/items/{world['item']}/actions/new").status_code == 403
    with app.app_context():
        assert db.session.get(Action, world["open"]).status == "open"
    assert attachment_count(app) == 0


def test_forms_need_the_csrf_token(app, moderator, world):
    assert (
        moderator.post(f"/actions/{world['open']}/progress", data={"status": "in_progress"}).status_code
        == 400
    )
    assert upload(moderator, world["open"], PDF, "a.pdf", csrf=False).status_code == 400
    bad = moderator.post(
        f"/meetings/{world['meeting']}/wipe", data={"confirm": "wipe", "csrf_token": "forged"}
    )
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.get(Action, world["open"]).status == "open"
        assert db.session.get(Meeting, world["meeting"]) is not None
    assert attachment_count(app) == 0


# --- the dashboard ----------------------------------------------------------------------------


def test_dashboard_highlights_and_counts_overdue(moderator, world, session, meeting_factory):
    rehearsal = meeting_factory(reps=1, items=1, title="演练会议", rehearsal=True)
    action_on(session, rehearsal.items[0].id, "演练措施", due_date="2020-01-01")
    session.commit()
    html = moderator.get("/actions").get_data(as_text=True)
    assert "已逾期 2 项" in html  # rectification (3 days) and reassignment (4 days)
    assert "已逾期 4 天" in html and "已逾期 3 天" in html
    assert "演练措施" not in html
    rows = re.findall(r'data-action-id="(\d+)"', html)
    assert rows[:2] == [str(world["overdue"]), str(world["open"])]
    assert html.count('class="action-row is-overdue"') == 2
    for word in ("整改", "重新招标", "党纪处分", "调离岗位", "待办", "进行中", "已完成", "已验收"):
        assert word in html


def test_dashboard_filters(moderator, world):
    def listed(query):
        html = moderator.get("/actions?" + query).get_data(as_text=True)
        return sorted(int(i) for i in re.findall(r'data-action-id="(\d+)"', html))

    assert listed("overdue=1") == sorted([world["open"], world["overdue"]])
    assert listed("status=done") == [world["done"]]
    assert listed("kind=retender") == [world["in_progress"]]
    assert listed("owner=人事") == [world["overdue"]]
    assert listed("status=open&kind=reassignment") == [world["overdue"]]
    assert len(listed("status=nonsense&page=abc")) == 5  # junk is ignored, not a 500


def test_dashboard_in_english(moderator, world):
    html = moderator.get("/actions?lang=en").get_data(as_text=True)
    assert "Follow-up actions" in html and "Overdue by 4 days" in html and "Rectification" in html


def test_the_dashboard_counts_overdue_by_the_china_day(moderator, session, meeting_factory):
    live = meeting_factory(reps=1, items=1, title="闰日会议")
    fields = {"kind": "other", "description": "闰日到期", "due_date": "2028-02-29"}
    due = actions.add_action(session, live.items[0].id, parse(ActionCreate, fields), "mod").value
    session.commit()

    def row(instant):
        with clock.pinned(instant, frozen=True):
            html = moderator.get("/actions").get_data(as_text=True)
        found = re.search(rf'<tr class="action-row[^"]*" data-action-id="{due.id}".*?</tr>', html, re.S)
        return found.group(0)

    # 23:59 on the leap day in China is 15:59 UTC; a minute later it is 1 March in China.
    assert "is-overdue" not in row(datetime(2028, 2, 29, 15, 59, tzinfo=UTC))
    after = row(datetime(2028, 2, 29, 16, 0, tzinfo=UTC))
    assert "is-overdue" in after and "已逾期 1 天" in after


# --- the action page --------------------------------------------------------------------------


def test_status_moves_through_the_form_with_notes(app, moderator, world):
    aid = world["open"]
    response = moderator.post(
        f"/actions/{aid}/progress",
        data={"status": "in_progress", "note": "已发询价函", "csrf_token": token(moderator)},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/actions/{aid}#history")
    html = moderator.get(f"/actions/{aid}").get_data(as_text=True)
    assert "状态已改为“进行中”" in html
    assert "待办 → 进行中" in html and "已发询价函" in html and "moderator-user" in html
    refused = moderator.post(
        f"/actions/{aid}/progress", data={"status": "verified", "csrf_token": token(moderator)}
    )
    assert refused.status_code == 409
    assert "整改措施不能从“进行中”改为“已验收”" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Action, aid).status == "in_progress"
        notes = db.session.scalars(select(ActionNote.note).where(ActionNote.action_id == aid)).all()
    assert notes == ["created", "已发询价函"]


def test_a_note_alone_and_an_empty_submission(app, moderator, world):
    aid = world["in_progress"]
    csrf = token(moderator)
    moderator.post(
        f"/actions/{aid}/progress", data={"status": "in_progress", "note": "约谈", "csrf_token": csrf}
    )
    nothing = moderator.post(
        f"/actions/{aid}/progress", data={"status": "in_progress", "note": "", "csrf_token": csrf}
    )
    assert nothing.status_code == 302
    with app.app_context():
        notes = db.session.scalars(select(ActionNote).where(ActionNote.action_id == aid)).all()
    assert [n.note for n in notes][-1] == "约谈" and notes[-1].status_to is None


def test_history_times_are_china_time(app, moderator, world):
    aid = world["open"]
    # 16:20 UTC on the 14th is already 00:20 on the 15th in China.
    with clock.pinned(datetime(2031, 5, 14, 16, 20, tzinfo=UTC), frozen=True):
        moderator.post(f"/actions/{aid}/progress", data={"note": "夜间记录", "csrf_token": token(moderator)})
    with app.app_context():
        note = db.session.scalars(select(ActionNote).where(ActionNote.note == "夜间记录")).one()
    assert note.created_at == datetime(2031, 5, 14, 16, 20, tzinfo=UTC)
    html = moderator.get(f"/actions/{aid}").get_data(as_text=True)
    assert "2031-05-15 00:20" in html and "2031-05-14 16:20" not in html


def test_edits_are_recorded_in_the_history(app, moderator, world):
    aid = world["open"]
    response = submit(
        moderator,
        f"/actions/{aid}/edit",
        owner="财务处",
        due_date="2027-03-01",
        description="改为公开招标",
        note="领导批示",
    )
    assert response.status_code == 302
    html = moderator.get(f"/actions/{aid}").get_data(as_text=True)
    assert "负责人：供应处 → 财务处" in html and "2027-03-01" in html and "改为公开招标" in html
    bad = moderator.post(
        f"/actions/{aid}/edit",
        data={"owner": "x", "due_date": "soon", "description": "d", "csrf_token": token(moderator)},
    )
    assert bad.status_code == 422 and "完成期限" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Action, aid).owner == "财务处"


def test_user_text_is_escaped(app, moderator, world):
    aid = world["open"]
    csrf = token(moderator)
    moderator.post(f"/actions/{aid}/edit", data={"owner": XSS, "description": XSS, "csrf_token": csrf})
    moderator.post(f"/actions/{aid}/progress", data={"status": "open", "note": XSS, "csrf_token": csrf})
    assert upload(moderator, aid, PDF, "<img src=x onerror=alert(1)>.pdf").status_code == 302
    for path in (f"/actions/{aid}", "/actions", f"/meetings/{world['meeting']}/report-back"):
        html = moderator.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in moderator.get(f"/actions/{aid}").get_data(
        as_text=True
    )


def test_unknown_ids_are_404(moderator, world):
    assert moderator.get("/actions/999999").status_code == 404
    assert moderator.get(f"/actions/{world['open']}/attachments/999999").status_code == 404
    assert (
        moderator.post("/actions/999999/progress", data={"csrf_token": token(moderator)}).status_code == 404
    )
    assert moderator.get("/items/999999/actions/new").status_code == 404


# --- evidence ---------------------------------------------------------------------------------


def test_upload_list_download_and_delete(app, moderator, world):
    aid = world["done"]
    response = upload(moderator, aid, PDF, "整改报告 (终稿).pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("#evidence")
    with app.app_context():
        att = db.session.scalars(select(ActionAttachment)).one()
        att_id, stored = att.id, att.stored_name
    assert att.sha256 == hashlib.sha256(PDF).hexdigest() and att.size == len(PDF)
    assert [p.name for p in uploads_dir(app).iterdir()] == [stored]
    html = moderator.get(f"/actions/{aid}").get_data(as_text=True)
    assert "整改报告 (终稿).pdf" in html and att.sha256[:16] in html and "上传证据" in html

    with moderator.get(f"/actions/{aid}/attachments/{att_id}") as download:
        assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("整改报告 (终稿).pdf", safe="") in disposition
    assert 'filename="' in disposition and "\u6574" not in disposition.split("filename*=")[0]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    # The attachment of another action is not reachable through this one.
    assert moderator.get(f"/actions/{world['open']}/attachments/{att_id}").status_code == 404

    removed = moderator.post(
        f"/actions/{aid}/attachments/{att_id}/delete", data={"csrf_token": token(moderator)}
    )
    assert removed.status_code == 302
    assert list(uploads_dir(app).iterdir()) == []
    assert attachment_count(app) == 0
    assert "删除证据" in moderator.get(f"/actions/{aid}").get_data(as_text=True)


def test_viewers_can_download_evidence(app, login, world):
    moderator = login("moderator")
    upload(moderator, world["open"], PNG, "photo.png")
    moderator.post("/logout", data={"csrf_token": token(moderator)})
    viewer = login("viewer")
    with app.app_context():
        att_id = db.session.scalar(select(ActionAttachment.id))
    with viewer.get(f"/actions/{world['open']}/attachments/{att_id}") as response:
        assert response.status_code == 200 and response.data == PNG
    assert (
        response.headers["Content-Disposition"]
        == "attachment; filename=\"photo.png\"; filename*=UTF-8''photo.png"
    )


def test_a_text_evidence_file_names_its_charset_once(app, moderator, world):
    upload(moderator, world["open"], "序号,说明\n1,整改完成\n".encode("gbk"), "台账.csv")
    with app.app_context():
        att_id = db.session.scalar(select(ActionAttachment.id))
    with moderator.get(f"/actions/{world['open']}/attachments/{att_id}") as response:
        assert response.status_code == 200
    assert response.headers["Content-Type"].count("charset") == 1, response.headers["Content-Type"]
    assert response.headers["Content-Type"].startswith("text/csv; charset=")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe"),
        (b"<html><script>alert(1)</script></html>", "photo.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image.svg"),
    ],
)
def test_wrong_files_are_refused_with_a_message(app, moderator, world, data, name):
    response = upload(moderator, world["open"], data, name)
    assert response.status_code == 415
    assert "只接受 PDF、PNG、JPEG" in response.get_data(as_text=True)
    assert attachment_count(app) == 0
    assert not uploads_dir(app).exists() or list(uploads_dir(app).iterdir()) == []


def test_path_traversal_name_is_stored_safely(app, moderator, world):
    assert upload(moderator, world["open"], PDF, "../../etc/passwd.pdf").status_code == 302
    with app.app_context():
        att = db.session.scalars(select(ActionAttachment)).one()
    assert att.filename == "passwd.pdf" and re.fullmatch(r"[0-9a-f]{48}", att.stored_name)
    assert [p.name for p in uploads_dir(app).iterdir()] == [att.stored_name]
    assert not (Path(app.instance_path).parent / "etc").exists()
    html = moderator.get(f"/actions/{world['open']}").get_data(as_text=True)
    assert ">passwd.pdf<" in html and "../" not in html


def test_oversized_uploads_are_413_never_500(app, moderator, world):
    just_over = PDF + b"0" * (evidence.MAX_ATTACHMENT_BYTES + 1 - len(PDF))
    page = upload(moderator, world["open"], just_over, "big.pdf")
    assert page.status_code == 413 and "文件超过 10 MB" in page.get_data(as_text=True)
    as_json = upload(moderator, world["open"], just_over, "big.pdf", headers={"Accept": "application/json"})
    assert as_json.status_code == 413 and as_json.get_json()["error"]["code"] == "file_too_large"
    huge = upload(moderator, world["open"], b"0" * (12 * 1024 * 1024), "huge.pdf")
    assert huge.status_code == 413
    assert attachment_count(app) == 0
    assert not uploads_dir(app).exists() or list(uploads_dir(app).iterdir()) == []
    # Under the per-file limit but over the app's 5 MB body limit: accepted on this route.
    six_mb = PDF + b"0" * (6 * 1024 * 1024)
    assert upload(moderator, world["open"], six_mb, "scan.pdf").status_code == 302
    assert attachment_count(app) == 1


def test_upload_without_a_file_is_a_form_error(moderator, world):
    response = moderator.post(
        f"/actions/{world['open']}/attachments",
        data={"csrf_token": token(moderator)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "请选择要上传的文件" in response.get_data(as_text=True)


def test_an_upload_whose_commit_fails_leaves_no_file(app, moderator, world, monkeypatch):
    """The file is on disk before its row is committed: when the commit fails, it goes again."""
    commit = db.session.commit

    def failing_commit():
        if any(isinstance(obj, ActionAttachment) for obj in list(db.session.identity_map.values())):
            raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))
        commit()

    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = upload(moderator, world["open"], PDF, "a.pdf")
    assert response.status_code == 503  # nothing was saved: try again
    monkeypatch.undo()
    assert attachment_count(app) == 0
    assert not uploads_dir(app).exists() or list(uploads_dir(app).iterdir()) == []


def test_json_upload_answers_with_the_attachment(moderator, world):
    response = upload(moderator, world["open"], PNG, "photo.png", headers={"Accept": "application/json"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["filename"] == "photo.png" and body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert set(body) == {"id", "action_id", "filename", "content_type", "size", "sha256"}
    assert (body["action_id"], body["content_type"], body["size"]) == (world["open"], "image/png", len(PNG))


# --- a new action -----------------------------------------------------------------------------


def test_new_action_form(app, moderator, world):
    page = moderator.get(f"/items/{world['item']}/actions/new")
    assert page.status_code == 200 and "新增整改措施" in page.get_data(as_text=True)
    url = f"/items/{world['item']}/actions/new"
    missing = submit(moderator, url, kind="retender", description="")
    assert missing.status_code == 422 and "措施内容" in missing.get_data(as_text=True)
    made = submit(
        moderator, url, kind="retender", description="重新公开招标", owner="招标办", due_date="2027-01-31"
    )
    assert made.status_code == 302
    action_id = int(made.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        action = db.session.get(Action, action_id)
        assert (action.kind, action.owner, action.due_date) == ("retender", "招标办", date(2027, 1, 31))


# --- report-back ------------------------------------------------------------------------------


def test_report_back_page_creates_one_linked_item(app, moderator, world, session, meeting_factory):
    new = meeting_factory(reps=2, items=0, start=False, title="第25次民主评价会")
    page = moderator.get(f"/meetings/{new.id}/report-back")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    offered = sorted(int(i) for i in re.findall(r'name="action_id" value="(\d+)"', html))
    assert offered == sorted([world["open"], world["in_progress"], world["done"], world["overdue"]])
    assert str(world["verified"]) not in offered
    empty = moderator.post(f"/meetings/{new.id}/report-back", data={"csrf_token": token(moderator)})
    assert empty.status_code == 422 and "请至少勾选一项整改措施" in empty.get_data(as_text=True)
    stale = moderator.post(
        f"/meetings/{new.id}/report-back",
        data={"action_id": [str(world["verified"])], "csrf_token": token(moderator)},
    )
    assert stale.status_code == 409
    created = moderator.post(
        f"/meetings/{new.id}/report-back",
        data={"action_id": [str(world["open"]), str(world["overdue"])], "csrf_token": token(moderator)},
    )
    assert created.status_code == 302
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.meeting_id == new.id)).one()
        links = db.session.scalars(
            select(ReportBackLink.action_id).where(ReportBackLink.item_id == item.id)
        ).all()
    assert item.kind == "report_back" and item.title == "整改落实情况回头看（2 项）"
    assert sorted(links) == sorted([world["open"], world["overdue"]])
    assert created.headers["Location"].endswith(f"#item-{item.id}")


def test_a_report_back_item_sends_the_meeting_screens_a_snapshot(app, moderator, world, meeting_factory):
    live = meeting_factory(reps=2, items=0, title="第26次民主评价会")
    screen = socketio.test_client(app, namespace=NAMESPACE, auth={"display": live.meeting.display_token})
    assert screen.is_connected(NAMESPACE)
    screen.get_received(NAMESPACE)
    created = moderator.post(
        f"/meetings/{live.id}/report-back",
        data={"action_id": [str(world["open"])], "csrf_token": token(moderator)},
    )
    assert created.status_code == 302
    states = [e["args"][0] for e in screen.get_received(NAMESPACE) if e["name"] == "state"]
    assert [state["meeting"]["id"] for state in states] == [live.id]
    screen.disconnect(NAMESPACE)


def test_finished_meeting_offers_no_report_back(moderator, world):
    html = moderator.get(f"/meetings/{world['meeting']}/report-back").get_data(as_text=True)
    assert "本次评价会已结束" in html and 'name="action_id"' not in html


# --- rehearsal wipe ---------------------------------------------------------------------------


def test_wipe_page_and_post(app, moderator, session, meeting_factory):
    rehearsal = meeting_factory(reps=2, items=1, title="演练", rehearsal=True)
    action = actions.add_action(
        session, rehearsal.items[0].id, parse(ActionCreate, {"kind": "other", "description": "演练"}), "mod"
    ).value
    session.commit()
    assert upload(moderator, action.id, PDF, "a.pdf").status_code == 302
    page = moderator.get(f"/meetings/{rehearsal.id}/wipe")
    assert page.status_code == 200 and "1 项整改措施，及 1 份证据文件" in page.get_data(as_text=True)
    unconfirmed = moderator.post(f"/meetings/{rehearsal.id}/wipe", data={"csrf_token": token(moderator)})
    assert unconfirmed.status_code == 422
    wiped = moderator.post(
        f"/meetings/{rehearsal.id}/wipe", data={"confirm": "wipe", "csrf_token": token(moderator)}
    )
    assert wiped.status_code == 302
    with app.app_context():
        assert db.session.get(Meeting, rehearsal.id) is None
        assert db.session.scalar(select(func.count()).select_from(Action)) == 0
    assert list(uploads_dir(app).iterdir()) == []
    assert moderator.get(f"/meetings/{rehearsal.id}/wipe").status_code == 404


def test_real_meetings_cannot_be_wiped(app, moderator, world, session, meeting_factory):
    live = meeting_factory(reps=1, items=1, title="正式进行中")
    for meeting_id in (live.id, world["meeting"]):
        page = moderator.get(f"/meetings/{meeting_id}/wipe").get_data(as_text=True)
        assert "只能清除演练" in page and 'name="confirm"' not in page
        response = moderator.post(
            f"/meetings/{meeting_id}/wipe", data={"confirm": "wipe", "csrf_token": token(moderator)}
        )
        assert response.status_code == 409
        with app.app_context():
            assert db.session.get(Meeting, meeting_id) is not None


# --- translations -----------------------------------------------------------------------------
