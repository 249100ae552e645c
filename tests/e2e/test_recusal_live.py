"""Recusal (回避) and question support through the real server (``evalmeet serve``), on SQLite
and PostgreSQL: the moderator over HTTP with an API token, phones as python-socketio clients.

A recusal is declared before the item's voting first opens (from the API or the phone itself),
the recused representative is left out of the item's roster, present and quorum, their ballot is
refused ``recused``, the result counts them, and the minutes name them with their reason. Phones
back an approved question once each; the count travels in ``questions`` and the API.
"""

from __future__ import annotations

import io
import subprocess

import pytest
from openpyxl import load_workbook

from tests.e2e.test_live_meeting import Screen, setup_meeting

pytestmark = pytest.mark.server


def code(response_or_ack) -> str:
    if isinstance(response_or_ack, dict):
        return response_or_ack["error"]["code"]
    return response_or_ack.json()["error"]["code"]


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def test_recusal_from_api_and_phone_changes_who_counts(server):
    srv = server
    # 5 on the roster, quorum 2/3: the item's roster after two recusals is 3, quorum 2.
    meeting_id, roster, (first, second) = setup_meeting(srv, reps=5, items=2)
    phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in roster]
    try:
        for phone in phones:
            assert phone.wait(lambda p=phone: p.last("state") is not None)
        mod_recusal = srv.api(
            "POST",
            f"items/{first}/recusals",
            {"representative_id": roster[0]["id"], "reason": "本人配偶在供应商任职"},
        )
        assert mod_recusal.status_code == 201, mod_recusal.text
        body = mod_recusal.json()
        assert (body["representative_id"], body["reason"]) == (roster[0]["id"], "本人配偶在供应商任职")
        assert isinstance(body["id"], int)
        again = srv.api(
            "POST", f"items/{first}/recusals", {"representative_id": roster[0]["id"], "reason": "再次"}
        )
        assert (again.status_code, code(again)) == (409, "already_recused")
        bad = srv.api("POST", f"items/{first}/recusals", {"representative_id": roster[1]["id"]})
        assert bad.status_code == 422

        assert phones[1].call("declare_recusal", {"item_id": first, "reason": "曾参与该项目评标"}) == {
            "ok": True
        }
        twice = phones[1].call("declare_recusal", {"item_id": first, "reason": "曾参与该项目评标"})
        assert code(twice) == "already_recused"
        listed = srv.api("GET", f"items/{first}/recusals").json()["recusals"]
        assert [(r["representative_id"], r["reason"]) for r in listed] == [
            (roster[0]["id"], "本人配偶在供应商任职"),
            (roster[1]["id"], "曾参与该项目评标"),
        ]

        # The console's snapshot shows who recused from the item on the floor.
        assert srv.api("POST", f"items/{first}/present").status_code == 200
        assert phones[2].wait(
            lambda: (
                (phones[2].last("state") or {}).get("item")
                and len(phones[2].last("state")["item"]["recusals"]) == 2
            )
        )

        # Only the three who did not recuse count: two of them absent fail the quorum (1 of 3).
        for rep in roster[3:]:
            srv.api("PATCH", f"representatives/{rep['id']}", {"present": False})
        refused = srv.api("POST", f"items/{first}/voting/open")
        assert (refused.status_code, code(refused)) == (409, "quorum_not_met")
        details = refused.json()["error"]["details"]
        assert (details["present"], details["roster"], details["needed"]) == (1, 3, 2)
        srv.api("PATCH", f"representatives/{roster[3]['id']}", {"present": True})
        opened = srv.api("POST", f"items/{first}/voting/open")
        assert opened.status_code == 200, opened.text

        late = srv.api(
            "POST", f"items/{first}/recusals", {"representative_id": roster[2]["id"], "reason": "迟到"}
        )
        assert (late.status_code, code(late)) == (409, "voting_open")
        assert code(phones[2].call("declare_recusal", {"item_id": first, "reason": "迟到"})) == "voting_open"

        assert code(phones[0].vote(first, "satisfied")) == "recused"
        assert code(phones[1].vote(first, "no-such-choice")) == "recused"  # before invalid_choice
        assert code(phones[1].call("cast_vote", {"item_id": first, "choice": "satisfied", "key": "x"})) == (
            "invalid_key"
        )
        assert phones[2].vote(first, "satisfied")["ok"] is True
        assert phones[3].vote(first, "dissatisfied")["ok"] is True
        closed = srv.api("POST", f"items/{first}/voting/close")
        assert closed.status_code == 200, closed.text
        result = srv.api("GET", f"items/{first}/result").json()
        assert (result["recused"], result["present"], result["roster"], result["ballots"]) == (2, 2, 3, 2)
        assert code(phones[0].vote(first, "satisfied")) == "voting_closed"  # before recused
        after = srv.api(
            "POST", f"items/{first}/recusals", {"representative_id": roster[2]["id"], "reason": "迟"}
        )
        assert (after.status_code, code(after)) == (409, "voting_closed")
        assert code(phones[2].call("declare_recusal", {"item_id": first, "reason": "迟"})) == "voting_closed"

        # The second item knows nothing of the first one's recusals.
        assert srv.api("GET", f"items/{second}/recusals").json()["recusals"] == []
        assert srv.api("POST", f"items/{second}/present").status_code == 200
        assert srv.api("POST", f"items/{second}/voting/open").status_code == 200
        assert phones[0].vote(second, "satisfied")["ok"] is True
        assert srv.api("POST", f"items/{second}/voting/close").status_code == 200
        assert srv.api("GET", f"items/{second}/result").json()["recused"] == 0

        assert srv.api("POST", f"meetings/{meeting_id}/finish").status_code == 200
        pdf = srv.api("GET", f"meetings/{meeting_id}/minutes.pdf")
        assert pdf.status_code == 200, pdf.text[:300]
        text = pdf_text(pdf.content)
        assert "回避" in text
        for rep, reason in ((roster[0], "本人配偶在供应商任职"), (roster[1], "曾参与该项目评标")):
            assert rep["name"] in text and reason in text
        workbook = srv.api("GET", f"meetings/{meeting_id}/minutes.xlsx")
        assert workbook.status_code == 200
        book = load_workbook(io.BytesIO(workbook.content), read_only=True)
        sheet = book["回避"]
        rows = [tuple(r) for r in sheet.iter_rows(values_only=True)][1:]
        assert sorted((r[2], r[3]) for r in rows) == sorted(
            [(roster[0]["name"], "本人配偶在供应商任职"), (roster[1]["name"], "曾参与该项目评标")]
        )
        log = srv.log()
        assert "Traceback" not in log, log
    finally:
        for phone in phones:
            phone.close()


def test_phones_support_approved_questions_once(server):
    srv = server
    meeting_id, roster, (first, second) = setup_meeting(srv, reps=4, items=2)
    phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in roster]
    console = Screen(srv.url, {"api_token": srv.token, "meeting_id": meeting_id})
    try:
        assert srv.api("POST", f"items/{first}/present").status_code == 200
        asked = phones[0].call("ask_question", {"item_id": first, "text": "为什么只有一家供应商？"})
        other = phones[1].call("ask_question", {"item_id": first, "text": "价格为何高于基准价？"})
        assert asked["ok"] and other["ok"]
        pending = phones[2].call("support_question", {"question_id": asked["question_id"]})
        assert code(pending) == "invalid_question"
        for question in (asked, other):
            moderated = srv.api("PATCH", f"questions/{question['question_id']}", {"status": "approved"})
            assert moderated.status_code == 200

        # (who supports, which question, its support after): a second "+1" from one phone is not counted
        for phone, question, support in (
            (phones[2], other, 1),
            (phones[2], other, 1),
            (phones[3], other, 2),
            (phones[3], asked, 1),
        ):
            answer = phone.call("support_question", {"question_id": question["question_id"]})
            assert answer == {"ok": True, "support": support}
        assert code(phones[3].call("support_question", {"question_id": 10**6})) == "invalid_question"
        assert code(phones[3].call("support_question", {"question_id": "x"})) == "invalid_question"

        listed = srv.api("GET", f"items/{first}/questions").json()["questions"]
        assert {q["id"]: q["support"] for q in listed} == {asked["question_id"]: 1, other["question_id"]: 2}
        assert console.wait(
            lambda: any(
                {q["id"]: q["support"] for q in payload["questions"]}.get(other["question_id"]) == 2
                for payload in console.events["questions"]
            )
        )
        assert phones[0].wait(
            lambda: (
                {
                    q["id"]: q["support"]
                    for q in (phones[0].last("state") or {}).get("item", {}).get("questions", [])
                }
                == {asked["question_id"]: 1, other["question_id"]: 2}
            )
        )

        # Not on the item on the floor any more: refused, and the count stays.
        assert srv.api("POST", f"items/{second}/present").status_code == 200
        assert (
            code(phones[1].call("support_question", {"question_id": asked["question_id"]}))
            == "invalid_question"
        )
        listed = srv.api("GET", f"items/{first}/questions").json()["questions"]
        assert {q["id"]: q["support"] for q in listed} == {asked["question_id"]: 1, other["question_id"]: 2}
        log = srv.log()
        assert "Traceback" not in log, log
    finally:
        console.close()
        for phone in phones:
            phone.close()
