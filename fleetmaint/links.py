"""Absolute links to this site, all built from ``SITE_URL``.

Whatever is read away from the page that made it needs a whole address: the
e-mails' "Open in fleetmaint" buttons, invitation and password-reset links,
the calendar feed's events and the feed's own address on the settings page.
They all come from ``absolute_url``, never from the request's Host header (a
job has no request, and a forged Host must not end up in someone's e-mail).

In development a wrong ``SITE_URL`` is easy to miss: the pages work, only the
links sent elsewhere point at a server that is not there. ``SiteUrlCheckMiddleware``
says so in the console once, when a request arrives at another address than
``SITE_URL``; the system checks catch a ``SITE_URL`` that is not an address at
all, and (``check --deploy``) one that still points at this machine.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
# Names of this machine: a link to one of them reaches the same server as the others.
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def absolute_url(path: str = "") -> str:
    """``path`` (as ``reverse`` gives it, starting with "/") on this site, from ``SITE_URL``."""
    if path and not path.startswith("/"):
        raise ValueError(f"A path on this site starts with '/', not {path!r}")
    return settings.SITE_URL.rstrip("/") + path


def _host(name: str) -> str:
    """A host name as compared: the machine's own names count as one."""
    name = name.lower().strip("[]")
    return "127.0.0.1" if name in LOOPBACK else name


def _site_place() -> tuple[str, int] | None:
    """The host and port SITE_URL's links lead to, or None for a SITE_URL that is no address."""
    parts = urlsplit(settings.SITE_URL)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return _host(parts.hostname), port or DEFAULT_PORTS[parts.scheme]


def _request_place(request: HttpRequest) -> tuple[str, int | None] | None:
    """The host and port the request was sent to; no port when the Host header names none
    (the browser's default, which a TLS-terminating proxy may have changed)."""
    try:
        parts = urlsplit(f"//{request.get_host()}")
        port = parts.port
    except (DisallowedHost, ValueError):
        return None
    if not parts.hostname:
        return None
    return _host(parts.hostname), port


def _same_place(site: tuple[str, int], here: tuple[str, int | None]) -> bool:
    return site[0] == here[0] and (here[1] is None or site[1] == here[1])


class SiteUrlCheckMiddleware:
    """In development, warns once when requests arrive where ``SITE_URL`` does not point.

    ``PORT=8101 ./manage.py runserver 8101`` with ``SITE_URL`` left at port 8000
    serves every page, while the calendar feed and every e-mail link to 8000.
    Outside ``DEBUG`` the middleware removes itself: a production server sits
    behind proxies whose Host the application need not share.
    """

    def __init__(self, get_response):
        if not settings.DEBUG:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.warned = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.warned:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        site, here = _site_place(), _request_place(request)
        if site is None or here is None or _same_place(site, here):
            return
        self.warned = True
        came_to = request.get_host()
        log.warning(
            "SITE_URL is %s but this request came to %s: links in e-mails and the calendar "
            "feed will point to the wrong place. Set SITE_URL=%s://%s, or leave it unset "
            "under make run, which sets it from PORT.",
            settings.SITE_URL,
            came_to,
            request.scheme,
            came_to,
        )


def _is_site_address(url: str) -> bool:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme in DEFAULT_PORTS
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not parts.query
        and not parts.fragment
    )


@checks.register()
def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``SITE_URL`` must be a whole address (scheme and host) with no path after it."""
    if _is_site_address(settings.SITE_URL):
        return []
    return [
        checks.Warning(
            f"SITE_URL is {settings.SITE_URL!r}, which is not the address of a site.",
            hint="Set SITE_URL to the address people open, like https://fleet.example.com "
            "(no path): links in e-mails and the calendar feed are built from it.",
            id="fleetmaint.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_site_url_deploy(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production, e-mails that link to 127.0.0.1 lead every reader to their own machine."""
    if settings.DEBUG:
        return []
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    if host not in LOOPBACK:
        return []
    return [
        checks.Warning(
            f"SITE_URL is {settings.SITE_URL!r}: links in e-mails and the calendar feed "
            "lead to the reader's own machine.",
            hint="Set SITE_URL to the address people open, like https://fleet.example.com.",
            id="fleetmaint.W002",
        )
    ]
