"""bench/wire.py, the benchmarks' lean phone client, against the real server: the figures of
bench/vote_load.py say nothing unless it speaks the protocol the phones speak."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from bench.wire import ConnectionError as WireRefused
from bench.wire import WireClient, encode_packet, parse_packet, websocket_url
from tests.e2e.test_live_meeting import new_key, setup_meeting
from tests.server import live_server


def test_socketio_packets_are_written_and_read_back() -> None:
    text = encode_packet("2", "/live", ["cast_vote", {"choice": "满意"}], 17)
    assert text == '42/live,17["cast_vote",{"choice":"满意"}]'
    assert parse_packet(text[1:]) == ("2", "/live", 17, ["cast_vote", {"choice": "满意"}])
    assert parse_packet('0/live,{"sid":"abc"}') == ("0", "/live", None, {"sid": "abc"})
    assert parse_packet('3/live,4[{"ok":true}]') == ("3", "/live", 4, [{"ok": True}])
    assert parse_packet("1/live,") == ("1", "/live", None, None)
    assert parse_packet('2["state",{}]') == ("2", "/", None, ["state", {}])
    assert websocket_url("https://h:8443") == "wss://h:8443/socket.io/?EIO=4&transport=websocket"
    assert websocket_url("http://h/?lang=en") == "ws://h/socket.io/?lang=en&EIO=4&transport=websocket"


@pytest.mark.server
def test_wire_phones_connect_vote_once_in_their_language_and_a_bad_link_is_refused(tmp_path) -> None:
    with live_server(tmp_path) as srv:
        _meeting_id, roster, (item_id,) = setup_meeting(srv, reps=2)

        async def play() -> tuple[list[Any], dict, dict, tuple, dict, dict]:
            async with aiohttp.ClientSession() as session:
                phone, states = WireClient(session), []

                async def on_state(state: Any) -> None:
                    states.append(state)

                phone.on("state", on_state, "/live")
                await phone.connect(srv.url, ["/live"], {"token": roster[0]["join_token"]}, ["websocket"], 10)
                english = WireClient(session)  # its handshake asks for English, and so its acks
                await english.connect(f"{srv.url}/?lang=en", ["/live"], {"token": roster[1]["join_token"]})
                # connecting checked the representative in: the item can be presented and voted
                for step in ("present", "voting/open"):
                    assert srv.api("POST", f"items/{item_id}/{step}").status_code == 200
                while not any((s or {}).get("phase") == "voting" for s in states):
                    await asyncio.sleep(0.05)
                vote = {"item_id": item_id, "choice": "satisfied", "key": new_key()}
                ack = await phone.call("cast_vote", vote, "/live", 10)
                again = await phone.call("cast_vote", vote, "/live", 10)
                second = await phone.call("cast_vote", {**vote, "key": new_key()}, "/live", 10)
                first_en = await english.call("cast_vote", {**vote, "key": new_key()}, "/live", 10)
                assert first_en["ok"] is True, first_en
                second_en = await english.call("cast_vote", {**vote, "key": new_key()}, "/live", 10)
                stranger = WireClient(session)
                with pytest.raises(WireRefused) as refused:
                    await stranger.connect(srv.url, ["/live"], {"token": "x" * 32}, ["websocket"], 10)
                await phone.disconnect()
                await english.disconnect()
                return states, ack, again, refused.value.args, second, second_en

        states, ack, again, refused, second, second_en = asyncio.run(play())
        assert states[0]["me"]["present"] is True  # its own snapshot on connecting
        assert states[-1]["voting"]["item_id"] == item_id  # then the broadcast of the opening
        assert ack["ok"] is True and again == ack  # the same key again: the same ballot
        assert refused[1]["code"] == "invalid_token", refused
        # another key is a second vote: refused, in the language each socket connected in
        assert second["error"] == {"code": "already_voted", "message": "您已对此项目投过票。"}, second
        english_refusal = {"code": "already_voted", "message": "You have already voted on this item."}
        assert second_en["error"] == english_refusal, second_en
        result = srv.api("POST", f"items/{item_id}/voting/close").json()
        assert result["counts"]["satisfied"] == 2
