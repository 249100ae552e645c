"""Static files for factory Wi-Fi, through the real server (``evalmeet serve``, no nginx): a phone's
page links content-hashed copies; each comes precompressed (brotli, else gzip, else plain),
cached for a year as immutable, and a revalidation is a 304. The page itself is compressed."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re

import brotli
import pytest
import requests

from tests.factories import BUYER, item_body
from tests.over_api import created
from tests.server import live_server

pytestmark = pytest.mark.server

HASHED = re.compile(r'(?:src|href)="(/static/dist/[^"]+\.[0-9a-f]{10}\.(?:js|css|svg|ico))"')


def test_the_phone_page_and_its_files_arrive_compressed_and_cached(tmp_path):
    with live_server(tmp_path) as srv:
        meeting = created(srv, "meetings", {"title": "静态文件"})
        rep = created(srv, f"meetings/{meeting['id']}/representatives", {"name": "代表", "employee_no": "S1"})
        created(srv, f"meetings/{meeting['id']}/items", item_body("采购", BUYER))
        phone = requests.Session()
        page = phone.get(
            f"{srv.url}/j/{rep['join_token']}", headers={"Accept-Encoding": "br, gzip"}, timeout=10
        )
        assert page.status_code == 200 and page.url.endswith("/phone")
        assert page.headers["Content-Encoding"] == "br"  # requests decodes brotli (the brotli package)
        assert "代表" in page.text
        files = HASHED.findall(page.text)
        names = {f.rsplit("/", 1)[1].split(".")[0] for f in files}
        assert names == {"phone", "favicon"}, files  # the two bundles, the icons
        # nothing blocks the page: every script file is deferred; early.js (1 KiB, which opens the
        # WebSocket before the rest) is in the page itself, allowed by its hash and nothing wider
        assert all(f'src="{f}" defer' in page.text for f in files if f.endswith(".js"))
        inline = re.findall(r"<script>(.+?)</script>", page.text, re.S)
        assert len(inline) == 1 and "EvalmeetEarly" in inline[0], inline
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        policy = page.headers["Content-Security-Policy"]
        assert f"script-src 'self' 'sha256-{digest}';" in policy and "unsafe-inline" not in policy, policy

        for path in files:
            url = srv.url + path
            plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
            assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
            assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert plain.headers["Vary"] == "Accept-Encoding"
            if path.endswith((".js", ".css")):
                assert plain.headers["Content-Type"].split(";")[0] in ("text/javascript", "text/css")
                raw = requests.get(url, headers={"Accept-Encoding": "br, gzip"}, stream=True, timeout=10)
                assert raw.headers["Content-Encoding"] == "br"
                squeezed = raw.raw.read()
                assert brotli.decompress(squeezed) == plain.content
                assert len(squeezed) < len(plain.content) * 0.6, path
                zipped = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
                assert zipped.headers["Content-Encoding"] == "gzip"
                assert gzip.decompress(zipped.raw.read()) == plain.content
                refused = requests.get(url, headers={"Accept-Encoding": "br;q=0, gzip"}, timeout=10)
                assert refused.headers["Content-Encoding"] == "gzip"
                again = requests.get(
                    url, headers={"Accept-Encoding": "br", "If-None-Match": raw.headers["ETag"]}, timeout=10
                )
                assert again.status_code == 304 and again.content == b""
                # an ETag names its encoding: a gzip copy is not the brotli copy
                other = requests.get(
                    url, headers={"Accept-Encoding": "gzip", "If-None-Match": raw.headers["ETag"]}, timeout=10
                )
                assert other.status_code == 200
        # minified: the early.js in the page is smaller than its source, and is what it minifies to
        source = requests.get(srv.url + "/static/js/early.js", timeout=10)
        assert source.status_code == 200 and len(inline[0]) < len(source.text) * 0.8
        assert "window.EvalmeetEarly" in source.text and "EvalmeetEarly" in inline[0]
        assert requests.get(srv.url + "/static/dist/js/phone.0000000000.js", timeout=10).status_code == 404
        assert "Traceback" not in srv.log()
