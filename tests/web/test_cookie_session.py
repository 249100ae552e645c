"""The signed-cookie session builds its serializer once per key set (web/cookie_session.py)."""

from __future__ import annotations

from flask import Flask, request

from evalmeet.web.cookie_session import CachedSerializerSessionInterface


def test_the_serializer_is_made_once_and_again_when_the_key_changes(app: Flask) -> None:
    interface = app.session_interface
    assert isinstance(interface, CachedSerializerSessionInterface)
    first = interface.get_signing_serializer(app)
    assert first is not None and interface.get_signing_serializer(app) is first

    old_key = app.secret_key
    app.secret_key = "another secret key, rotated"
    try:
        rotated = interface.get_signing_serializer(app)
        assert rotated is not None and rotated is not first
        assert rotated.loads(rotated.dumps({"a": 1})) == {"a": 1}
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        with_fallback = interface.get_signing_serializer(app)
        assert with_fallback is not rotated
        assert with_fallback.loads(first.dumps({"b": 2})) == {"b": 2}  # the old key still reads
    finally:
        app.secret_key = old_key
        app.config["SECRET_KEY_FALLBACKS"] = []


def test_a_session_cookie_round_trips(app: Flask) -> None:
    """What one request saves in the cookie, the next one reads back (through the interface)."""
    interface = app.session_interface
    with app.test_request_context("/"):
        session = interface.open_session(app, request)
        assert session is not None
        session["n"] = 7
        response = app.response_class()
        interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";")[0]
    with app.test_request_context("/", headers={"Cookie": cookie}):
        again = interface.open_session(app, request)
        assert again is not None and again.get("n") == 7
    with app.test_request_context("/", headers={"Cookie": cookie[:-3] + "xyz"}):  # tampered
        assert dict(interface.open_session(app, request) or {}) == {}
