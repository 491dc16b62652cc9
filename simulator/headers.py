"""Security headers on every response: a strict Content-Security-Policy and friends (issue 14.10).

``Server`` names no stack: Werkzeug's development server (``flask run``) says ``guanjia`` instead of
``Werkzeug/3.1 Python/3.11``, and ``simulator/gunicorn.conf.py`` removes gunicorn's ``Server: gunicorn``.
"""

from __future__ import annotations

from flask import Flask, Response, request

HTMX_CDN = "https://cdn.jsdelivr.net"
SERVER_HEADER = "guanjia"


def content_security_policy(htmx_source: str = "local") -> str:
    """The policy: scripts only from this site (and jsDelivr when htmx comes from the CDN), no inline script.

    Styles allow inline: the quiz progress bar sets a width, htmx adds its indicator rule and Mermaid
    styles the SVG it draws. None of these can run code.
    """
    scripts = "'self'" + (f" {HTMX_CDN}" if htmx_source == "cdn" else "")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _quiet_development_server() -> None:
    """Werkzeug's server writes ``Server: Werkzeug/x Python/y`` before the app's headers; name no stack."""
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = lambda self: SERVER_HEADER  # type: ignore[method-assign]


def register_security_headers(app: Flask) -> None:
    policy = content_security_policy(app.config.get("HTMX_SOURCE", "local"))
    _quiet_development_server()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if request.headers.get("HX-Request"):
            response.headers.add("Vary", "HX-Request")
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
