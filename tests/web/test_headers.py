"""Security headers and the Content-Security-Policy (issue 14.10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator import create_app

TEMPLATES = Path(__file__).resolve().parents[2] / "simulator" / "templates"


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/auth/login", "/", "/no-such-page", "/static/js/app.js"])
def test_every_response_carries_the_security_headers(client, auth, path):
    auth.login("admin")
    response = client.get(path)
    response.close()  # a static file is streamed from an open file
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_htmx_from_the_cdn_is_the_only_other_script_origin(tmp_path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "HTMX_SOURCE": "cdn"}
    )
    policy = directives(app.test_client().get("/healthz").headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "https://cdn.jsdelivr.net"]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_hold_no_inline_script(template):
    """The policy would block it: inline <script> bodies, on* handler attributes, javascript: links."""
    html = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert "javascript:" not in html


def test_reset_password_still_asks_for_confirmation(app, client, auth):
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'data-confirm="确定重置' in page and "onsubmit" not in page
    assert "/static/js/app.js" in page
