"""evalmeet/realtime/frames.py gives gevent-websocket's verdicts and bytes, in C."""

from __future__ import annotations

import random

import pytest
from geventwebsocket.utf8validator import Utf8Validator as Original
from geventwebsocket.websocket import Header

from evalmeet.realtime import frames

SAMPLES = [
    b'42/live,7["cast_vote",{"item_id":1,"choice":"satisfied"}]',
    "满意 基本满意 不满意 🙂".encode(),
    b"",
    b"\xff",  # never valid
    b"\xe6\xbb",  # a character cut short
    "基".encode()[:2] + b"A",  # a character interrupted
    b"\xed\xa0\x80",  # a surrogate: not UTF-8
    b"\xc0\xaf",  # an overlong form
    b"\xf4\x90\x80\x80",  # above U+10FFFF
]


def verdicts(validator, chunks):
    """The message's verdict: (valid, ends on a whole character) after its frames — or
    ``False`` at the first frame found invalid. (CPython's decoder may see a cut-short
    surrogate one frame later than the DFA: the message is refused all the same.)"""
    validator.reset()
    for chunk in chunks:
        valid, ends, _index, _total = validator.validate(chunk)
        if not valid:
            return False
    return True, ends


@pytest.mark.parametrize("data", SAMPLES)
def test_utf8_verdicts_match_gevent_websocket_whole_and_split(data):
    assert verdicts(frames.Utf8Validator(), [data]) == verdicts(Original(), [data])
    for cut in range(1, len(data)):
        chunks = [data[:cut], data[cut:]]  # a message in two frames, maybe mid-character
        assert verdicts(frames.Utf8Validator(), chunks) == verdicts(Original(), chunks), (data, cut)


def test_random_bytes_get_the_same_verdicts():
    rng = random.Random(7)
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
        assert verdicts(frames.Utf8Validator(), [data]) == verdicts(Original(), [data]), data


def test_unmasking_gives_rfc_6455_s_bytes():
    rng = random.Random(3)
    for size in (0, 1, 3, 4, 5, 125, 126, 1000):
        header = Header(fin=1, opcode=1, length=size)
        header.mask = bytes(rng.randrange(256) for _ in range(4))
        payload = bytes(rng.randrange(256) for _ in range(size))
        # RFC 6455 5.3, as gevent-websocket writes it: octet i XOR mask octet i mod 4
        expected = bytearray(b ^ header.mask[i % 4] for i, b in enumerate(payload))
        assert frames.unmask(header, payload) == expected


def test_install_puts_them_into_gevent_websocket():
    from geventwebsocket import websocket

    frames.install()
    assert websocket.Utf8Validator is frames.Utf8Validator
    assert websocket.Header.unmask_payload is frames.unmask
