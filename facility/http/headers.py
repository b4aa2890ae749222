"""Security headers on every response: pages, API, feeds and static files.

A few explicit lines rather than an extension: the policy is one readable constant, HSTS
follows FACILITY_BASE_URL (the address people use) rather than the scheme a proxy forwards,
and nothing here redirects. Scripts come only from /static; inline <style> elements (the
SVG charts of the reports) carry the per-request nonce of ``csp_nonce()``; style attributes
(the positions of blocks in the calendar grids) are allowed by ``style-src-attr`` only.
The interactive calendar (FullCalendar, vendored under /static) adds its stylesheet as a
<style> element carrying the same nonce (read from <meta name="csp-nonce">) and sizes its cells
through the DOM's style properties; its small icon font is a ``data:`` URL, hence ``font-src
'self' data:`` (a font cannot run script).
"""

from __future__ import annotations

import secrets

from flask import Flask, g

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This response's nonce for an inline <style> element (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    https = app.config["FACILITY_BASE_URL"].startswith("https://")

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(nonce=csp_nonce())
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if https:
            headers["Strict-Transport-Security"] = HSTS
        return response
