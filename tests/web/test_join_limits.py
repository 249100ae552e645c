"""Join-link guessing is slowed down; a hall of valid joins from one address never is."""

from __future__ import annotations

from evalmeet.services import conduct


def test_guessing_is_blocked_after_failures_but_valid_links_from_one_address_are_not(
    app, client, meeting_factory
):
    live = meeting_factory(reps=40, present=0)
    # 40 valid joins from the same address (one NAT): all fine.
    for rep in live.reps:
        assert client.get(f"/j/{rep.join_token}").status_code == 302
    # Guessing: 20 failures, then even a valid link from this address waits.
    for n in range(20):
        assert (
            client.get(f"/j/guessed-token-{n:04d}-xxxxxxxx", headers={"Accept": "text/html"}).status_code
            == 404
        )
    blocked = client.get(f"/j/{live.reps[0].join_token}", headers={"Accept": "text/html"})
    assert blocked.status_code == 429
    assert "无效链接过多" in blocked.get_data(as_text=True)
    # Another address is unaffected.
    other = app.test_client()
    response = other.get(f"/j/{live.reps[1].join_token}", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert response.status_code == 302


def test_join_checks_in(app, client, session, meeting_factory):
    live = meeting_factory(reps=2, present=0)
    client.get(f"/j/{live.reps[0].join_token}")
    session.expire_all()
    assert conduct.representative_by_token(session, live.reps[0].join_token).present
