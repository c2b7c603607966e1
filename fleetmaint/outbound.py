"""Requests the application makes to addresses its users typed: webhooks, the SMS gateway.

A URL someone else chose must not become a way into the network the server
sits in. So every host is resolved and each address checked before anything
is sent: loopback, private, link-local, multicast, reserved and unspecified
addresses are refused, as are IPv6 forms that wrap them (IPv4-mapped, 6to4,
Teredo, NAT64). The check runs when a URL is saved, so its owner hears about
it at once, and again when connecting, on the very address the socket is
opened to, so a name that later resolves elsewhere (DNS rebinding) gains
nothing. Redirects are never followed: a 3xx is an answer like any other.

``settings.WEBHOOKS_ALLOW_PRIVATE`` lifts the address check for installations
whose receivers live on their own network (on under ``make run``).
"""

import http.client
import ipaddress
import socket
import ssl
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Prefixes that carry an IPv4 address inside an IPv6 one.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The host is, or resolves to, an address the application does not send to."""


def inner_address(address: Address) -> Address:
    """The IPv4 address an IPv6 address wraps, if it wraps one; else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: Address) -> bool:
    """Whether the address is on the public internet: globally routable and unicast."""
    inner = inner_address(address)
    return inner.is_global and not inner.is_multicast and not address.is_multicast


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def check_address(text: str) -> Address:
    """The address ``text`` names, or ``AddressRefused`` when it is not a public one."""
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone index
    if not private_allowed() and not is_public(address):
        raise AddressRefused(f"{address} is not a public internet address")
    return address


def resolve(host: str, port: int) -> list[tuple]:
    """Every address ``host`` resolves to, each checked; refuses if any one is not public.

    Refusing the whole name, rather than picking its public addresses, keeps
    the answer the same whichever address a later lookup puts first.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"{host} does not resolve ({error})") from None
    for *_, sockaddr in infos:
        check_address(sockaddr[0])
    return infos


def check_url(url: str) -> None:
    """Refuses a URL whose host is not on the public internet (at save time)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("the URL's port is not a number from 0 to 65535") from None
    resolve(parts.hostname, port)


def _connect(host: str, port: int, timeout: float | None) -> socket.socket:
    """Opens a socket to a checked address of ``host``, then checks the peer it reached."""
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            check_address(sock.getpeername()[0])
            return sock
        except AddressRefused:
            sock.close()
            raise
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error or OSError(f"no address for {host}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _connect(self.host, self.port, self.timeout)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = _connect(self.host, self.port, self.timeout)
        # The certificate is checked against the name, not the address connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx reaches the caller as an HTTPError with its status


def opener() -> urllib.request.OpenerDirector:
    """An opener that reaches only checked addresses, follows no redirects and uses no proxy.

    A proxy from the environment would connect on our behalf to whatever the
    URL names, past every check here.
    """
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _GuardedHTTPHandler(),
        _GuardedHTTPSHandler(context=ssl.create_default_context()),
        _NoRedirects(),
    )
