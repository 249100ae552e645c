"""Where phones can reach this server: the base URL of join links, and a warning when they cannot.

A join link is only useful if a phone on the hall's Wi-Fi can open it. A moderator who opens the
app as ``http://127.0.0.1:5000`` on the laptop that serves it would otherwise print QR codes
that point every phone at itself. So, when ``EVALMEET_PUBLIC_URL`` is not set:

- the server listens on every interface (``--host 0.0.0.0``, what ``make run`` does) and the
  page was opened through a loopback name: join links use this machine's first LAN address;
- it listens on loopback only: the links are loopback links, and the slips page (and the
  server's log at start) says so loudly, with the one-line fix.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g, request

# The addresses that mean "listen on every interface" (recognised here, not bound to: nosec B104).
ALL_INTERFACES = {"0.0.0.0", "::", ""}  # nosec B104
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this machine only."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that other devices on its networks can use (no loopback,
    no link-local), private ranges first: what a phone on the same Wi-Fi would type."""
    import psutil

    found: set[str] = set()
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            if entry.family != socket.AF_INET:
                continue
            address = ipaddress.ip_address(entry.address)
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            found.add(entry.address)
    return sorted(found, key=lambda a: (not ipaddress.ip_address(a).is_private, ipaddress.ip_address(a)))


def url_for_address(address: str, port: int, scheme: str = "http") -> str:
    """``http://192.168.1.20:5000`` (the port left out when it is the scheme's default)."""
    host = f"[{address}]" if ":" in address else address
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class JoinBase:
    """The base URL join links start with, and whether phones can open it."""

    url: str
    reachable: bool
    lan: tuple[str, ...]
    port: int

    @property
    def lan_urls(self) -> list[str]:
        """Where phones would join if the server listened on every interface."""
        return [url_for_address(address, self.port) for address in self.lan]


def join_base() -> JoinBase:
    """The base of this request's join links (computed once per request)."""
    cached = g.get("_join_base")
    if cached is not None:
        return cached
    config = current_app.config
    public = config.get("PUBLIC_URL")
    listen_host = config.get("SERVE_HOST")
    port = int(config.get("SERVE_PORT") or request.environ.get("SERVER_PORT") or 80)
    lan: tuple[str, ...] = ()
    if public:
        url = str(public).rstrip("/")
    else:
        url = request.host_url.rstrip("/")
        request_host = urlsplit(url).hostname or ""
        if is_loopback(request_host):
            lan = tuple(lan_addresses())
            if listen_host in ALL_INTERFACES and listen_host is not None and lan:
                url = url_for_address(lan[0], port, request.scheme)
    reachable = not is_loopback(urlsplit(url).hostname or "")
    if not reachable and not lan:
        lan = tuple(lan_addresses())
    base = JoinBase(url, reachable, lan, port)
    g._join_base = base
    return base
