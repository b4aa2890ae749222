"""A file answered as a download (Content-Disposition: attachment): reports, exports, logbooks."""

from __future__ import annotations

from flask import Response


def download(body, content_type: str, filename: str) -> Response:
    """``body`` (bytes or text) as a file named ``filename`` that the browser saves."""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
