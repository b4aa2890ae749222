"""HTTP through the whole WSGI stack without a socket: clients built on Flask's test client.

Both clients return Werkzeug's ``TestResponse`` (``.status_code``, ``.headers``, ``.data``,
``.text``, ``.get_json()``). Like a browser (and like ``requests``, which these tests used
before), they follow redirects unless told ``follow_redirects=False``; the response then
names the last request in ``.request`` (its ``.url``, ``.path``).
"""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "a-long-password"


class ApiClient:
    """/api/v1 with a personal bearer token (cookies kept, like a ``requests.Session``)."""

    base = "/api/v1"

    def __init__(self, client: FlaskClient, token: str | None = None, email: str | None = None):
        self.client, self.email, self.token = client, email, token
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, **kwargs) -> TestResponse:
        kwargs.setdefault("follow_redirects", True)
        kwargs["headers"] = {**self.headers, **(kwargs.get("headers") or {})}
        return self.client.open(self.base + path, method=method, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


def error_codes(response: TestResponse) -> list[str]:
    return [e["code"] for e in response.get_json()["errors"]]


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


class PageClient:
    """A signed-in visitor of the pages that posts forms with their CSRF token, like a browser.

    ``client`` is the underlying Flask test client (cookies kept), for requests made without
    the form's token."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def get(self, path: str, **kwargs) -> TestResponse:
        kwargs.setdefault("follow_redirects", True)
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs) -> TestResponse:
        """A POST without the form's CSRF token."""
        kwargs.setdefault("follow_redirects", True)
        return self.client.post(path, **kwargs)

    def post_form(
        self, path: str, data: dict, page: str | None = None, files: dict | None = None, **kwargs
    ) -> TestResponse:
        """POST ``data`` with the CSRF token of ``page`` (default: ``path``); ``files`` maps a
        field to ``(filename, content)`` or ``(filename, content, content_type)``, sent as
        multipart/form-data."""
        kwargs.setdefault("follow_redirects", True)
        token = csrf_token(self.get(page or path).text)
        uploads = {field: (io.BytesIO(content), name, *rest) for field, (name, content, *rest) in (files or {}).items()}
        return self.client.post(path, data={"csrf_token": token, **data, **uploads}, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.post_form("/sign-in", {"email": email, "password": password}, follow_redirects=False)
