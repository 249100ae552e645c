"""The receipt code's definition (services/voting/ballots.receipt_for)."""

from __future__ import annotations

import base64
import hashlib
import secrets

from evalmeet.services.voting import ballots as voting


def test_the_receipt_is_the_first_60_bits_of_the_whole_digest_in_base32():
    """receipt_for encodes only the digest's first 10 bytes (for speed): the same 12 characters
    as encoding the whole digest, for any key, item and round."""
    for n in range(300):
        key = secrets.token_urlsafe(24) if n % 3 else "密钥" * (n % 7 + 8)
        item_id, vote_round = n * 7919 + 1, n % 4 + 1
        digest = hashlib.sha256(f"receipt|{item_id}|{vote_round}|{key}".encode()).digest()
        code = base64.b32encode(digest).decode()[:12]
        assert voting.receipt_for(item_id, vote_round, key) == f"{code[:4]}-{code[4:8]}-{code[8:]}"
