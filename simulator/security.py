"""Role-based access: every view declares who may reach it; undeclared views are refused.

``roles_required`` records the allowed roles on the view function. A ``before_request`` hook reads
that record for the matched endpoint, so the check runs before any view code (and before any 404 of
the view's own lookups), and a view someone forgot to decorate fails closed with 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, request
from flask_login import current_user

from .models import Role

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
ALL_ROLES = frozenset(Role)


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Allow the view to the given roles only (``PUBLIC`` for anonymous pages)."""

    def decorate(view: F) -> F:
        view._allowed_roles = frozenset(roles) if PUBLIC not in roles else PUBLIC  # type: ignore[attr-defined]
        return view

    return decorate


def any_role(view: F) -> F:
    """Allow the view to every signed-in user."""
    return roles_required(*ALL_ROLES)(view)


def public(view: F) -> F:
    """Allow the view to anyone, signed in or not."""
    return roles_required(PUBLIC)(view)


def allowed_roles(app: Flask, endpoint: str) -> frozenset[Role] | str | None:
    """The roles a registered endpoint admits: a set, ``PUBLIC``, or None when undeclared."""
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "_allowed_roles", None)


def enforce_roles() -> None:
    """``before_request`` hook: 401 → login for anonymous users, 403 for the wrong role."""
    if request.endpoint is None:  # 404 / 405: let Flask answer
        return None
    allowed = allowed_roles(current_app, request.endpoint)
    if allowed == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if allowed is None or Role(current_user.role) not in allowed:
        abort(403)
    return None
