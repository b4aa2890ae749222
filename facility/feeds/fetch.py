"""Fetching an outside calendar over HTTP(S) within limits: only http and https (redirects
included), a timeout on every network wait plus a deadline for the whole download (a server
that drips a byte at a time cannot hold a worker), and a size limit checked while streaming
(the rest of an oversized body is never read). Every failure is a ``FetchError`` whose message
a lab manager can act on. No Flask here: the caller passes the limits.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

ALLOWED_SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
HEADERS = {"Accept": "text/calendar, application/ics;q=0.9, */*;q=0.1", "User-Agent": "facility-calendar-sources/1"}


class FetchError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def check_url(url: str) -> str:
    """The URL, if it is an absolute http(s) address; refuses file:, ftp:, data: and the like."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        scheme = f" (this one starts with “{parts.scheme}:”)" if parts.scheme else ""
        raise FetchError("bad_url", f"Give an http:// or https:// address{scheme}.")
    if not parts.hostname:
        raise FetchError("bad_url", "The address has no host name.")
    return url


def fetch(url: str, *, max_bytes: int, timeout: float, allow_private: bool = False) -> bytes:
    """The body at ``url``, at most ``max_bytes`` long, downloaded within about ``timeout`` seconds.

    Unless ``allow_private``, every hop must be a public internet address: a manager's URL
    must not make the server read its own network (cloud metadata, admin ports, databases).
    """
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        response = _open(session, check_url(url), timeout, deadline, allow_private)
        with response:
            _check_status(response)
            return _read_limited(response, max_bytes, timeout, deadline)


def _open(
    session: requests.Session, url: str, timeout: float, deadline: float, allow_private: bool
) -> requests.Response:
    """Follows redirects by hand, so that each hop's scheme and address are checked and count
    against the deadline."""
    for _hop in range(MAX_REDIRECTS + 1):
        if not allow_private:
            check_public(url)
        response = _get(session, url, timeout, deadline)
        if not response.is_redirect:
            return response
        response.close()
        url = check_url(urljoin(url, response.headers["Location"]))
    raise FetchError("too_many_redirects", f"{_host(url)} redirected more than {MAX_REDIRECTS} times.")


def check_public(url: str) -> None:
    """Refuses a host that resolves to a loopback, private, link-local or reserved address.
    (A name that does not resolve is left to the request, which reports it.)"""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise FetchError(
                "private_address",
                f"{parts.hostname} is an address inside the network ({address}); "
                "only calendars published on the internet can be attached.",
            )


def _get(session: requests.Session, url: str, timeout: float, deadline: float) -> requests.Response:
    wait = max(0.001, min(timeout, deadline - time.monotonic()))
    try:
        return session.get(url, headers=HEADERS, stream=True, allow_redirects=False, timeout=(wait, wait))
    except requests.Timeout:
        raise _too_slow(url, timeout) from None
    except requests.exceptions.SSLError:
        raise FetchError(
            "unreachable",
            f"The secure connection to {_host(url)} failed (its certificate "
            "is not valid for that name, or has expired).",
        ) from None
    except requests.ConnectionError as error:
        raise FetchError("unreachable", f"Could not connect to {_host(url)}: {_connection_reason(error)}.") from None
    except requests.RequestException:
        raise FetchError("bad_url", "That is not a valid http:// or https:// address.") from None


def _check_status(response: requests.Response) -> None:
    if not 200 <= response.status_code < 300:
        status = f"{response.status_code} {response.reason or ''}".strip()
        raise FetchError("http_error", f"{_host(response.url)} answered “{status}” instead of the calendar.")


def _read_limited(response: requests.Response, max_bytes: int, timeout: float, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    try:
        # read1 returns what has arrived (at most CHUNK_BYTES, decompressed), so the size and
        # the deadline are checked after every arrival, not once per full buffer.
        while chunk := response.raw.read1(CHUNK_BYTES, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
            if time.monotonic() > deadline:
                raise _too_slow(response.url, timeout)
    except urllib3.exceptions.ReadTimeoutError:
        raise _too_slow(response.url, timeout) from None
    except urllib3.exceptions.HTTPError:
        raise FetchError(
            "broken_download", f"The download from {_host(response.url)} broke off before the end."
        ) from None
    return bytes(body)


def _too_large(max_bytes: int) -> FetchError:
    return FetchError("too_large", f"The calendar is larger than the limit of {format_size(max_bytes)}.")


def _too_slow(url: str, timeout: float) -> FetchError:
    return FetchError("too_slow", f"{_host(url)} did not send the calendar within {timeout:g} seconds.")


def _connection_reason(error: Exception) -> str:
    text = str(error)
    if "refused" in text.lower():
        return "the connection was refused"
    if "resolve" in text.lower() or "name or service not known" in text.lower() or "getaddrinfo" in text.lower():
        return "no such host name"
    return "no connection"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MiB"
    if size >= 1024:
        return f"{size / 1024:g} KiB"
    return f"{size} bytes"
