"""Static files for slow Wi-Fi: minified, named by their content, precompressed.

``build()`` reads ``static/`` (our CSS and JS, the vendored socket.io client, the icons) and
writes ``static/dist/``: each file minified (rjsmin, rcssmin — small, pure-Python, well kept),
named ``<stem>.<hash><ext>`` after its bytes, beside a ``.gz`` (gzip -9) and a ``.br``
(brotli q11) when those are smaller, and ``manifest.json`` mapping ``css/phone.css`` to
``dist/css/phone.1a2b3c4d5e.css``. A hashed name never changes meaning, so browsers and nginx
may cache it for a year (``web/static_files.py`` serves it so, ``deploy/nginx`` too).

``make setup`` runs it (``python -m evalmeet.static_build``); ``current_manifest()`` rebuilds at
start when a source is newer than the manifest (a developer edited a script), so a page never
names a stale file. The output is git-ignored: a build product like the compiled catalogues.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

DIST = "dist"
MANIFEST = "manifest.json"
# What the pages link: other files under static/ are served as they are.
SUFFIXES = {".css", ".js", ".svg", ".ico"}
COMPRESSIBLE = {".css", ".js", ".svg"}
HASH_LENGTH = 10
# The phone's files in one stylesheet and one script (sources in order): on a 400 ms Wi-Fi every
# request costs a round trip, and a browser opens only six connections to the server at once.
BUNDLES = {
    "bundles/phone.css": ("css/base.css", "css/phone.css", "css/countdown.css"),
    "bundles/phone.js": ("vendor/socket.io.min.js", "js/live.js", "js/countdown.js", "js/phone.js"),
}


def _minified(path: Path, data: bytes) -> bytes:
    if path.name.endswith(".min.js"):
        return data  # already minified upstream (socket.io client)
    if path.suffix == ".js":
        import rjsmin

        return rjsmin.jsmin(data.decode("utf-8")).encode("utf-8")
    if path.suffix == ".css":
        import rcssmin

        return rcssmin.cssmin(data.decode("utf-8")).encode("utf-8")
    return data


def _write(path: Path, data: bytes) -> None:
    """Atomically (several test workers may build at once; equal names hold equal bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _compressed(data: bytes) -> dict[str, bytes]:
    import brotli

    out = {".gz": gzip.compress(data, compresslevel=9, mtime=0), ".br": brotli.compress(data, quality=11)}
    return {ext: body for ext, body in out.items() if len(body) < len(data)}


def sources(root: Path) -> list[Path]:
    """The files the build reads, in a stable order."""
    found = [
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES and DIST not in p.relative_to(root).parts[:1]
    ]
    return sorted(found)


def _emit(dist: Path, rel: str, data: bytes) -> str:
    """Write ``data`` under its hashed name (with its compressed twins); answers that name."""
    path = Path(rel)
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    target = dist / path.parent / f"{path.name[: -len(path.suffix)]}.{digest}{path.suffix}"
    if not target.exists() or target.read_bytes() != data:
        _write(target, data)
        if path.suffix in COMPRESSIBLE:
            for ext, body in _compressed(data).items():
                _write(target.with_name(target.name + ext), body)
    return target.relative_to(dist.parent).as_posix()


def build(root: Path) -> dict[str, str]:
    """Build ``root/dist`` and its manifest; answers ``{source: hashed path}`` (both relative)."""
    manifest: dict[str, str] = {}
    minified: dict[str, bytes] = {}
    dist = root / DIST
    for path in sources(root):
        rel = path.relative_to(root).as_posix()
        minified[rel] = _minified(path, path.read_bytes())
        manifest[rel] = _emit(dist, rel, minified[rel])
    for bundle, parts in BUNDLES.items():
        if all(part in minified for part in parts):  # the vendored client may not be there yet
            joint = b";\n" if bundle.endswith(".js") else b"\n"
            manifest[bundle] = _emit(dist, bundle, joint.join(minified[part] for part in parts))
    _write(dist / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
    return manifest


def _stale(root: Path) -> bool:
    made = root / DIST / MANIFEST
    if not made.exists():
        return True
    built = made.stat().st_mtime
    return any(p.stat().st_mtime > built for p in sources(root))


def current_manifest(root: Path) -> dict[str, str]:
    """The manifest, rebuilt first when it is missing or older than a source; empty (pages link
    the plain files) when it cannot be built, e.g. an installed copy on a read-only disk."""
    try:
        if _stale(root):
            return build(root)
        loaded: dict[str, str] = json.loads((root / DIST / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded


def main() -> int:
    from evalmeet import _asset_dir

    root = Path(_asset_dir("static"))
    manifest = build(root)
    total = {"raw": 0, "br": 0}
    for hashed in manifest.values():
        path = root / hashed
        total["raw"] += path.stat().st_size
        br = path.with_name(path.name + ".br")
        total["br"] += (br if br.exists() else path).stat().st_size
    raw_kib, br_kib = total["raw"] // 1024, total["br"] // 1024
    print(f"static/dist: {len(manifest)} files, {raw_kib} KiB minified, {br_kib} KiB brotli")
    return 0


if __name__ == "__main__":
    sys.exit(main())
