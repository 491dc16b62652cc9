"""Walk every registered route and check that roles which must not reach it are refused.

New routes are covered automatically: a route without a declared role policy is refused to every
role (fail closed), so forgetting the decorator shows up here as a test failure of its own.
"""

from __future__ import annotations

import re

import pytest

from simulator import create_app
from simulator.models import Role
from simulator.security import PUBLIC, allowed_roles

SAMPLE_VALUES = {"int": "1", "string": "x", "path": "x", "default": "x"}


def build_path(rule) -> str:
    def substitute(match: re.Match) -> str:
        converter = match.group(1) or "default"
        return SAMPLE_VALUES.get(converter, "1")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", substitute, rule.rule)


def all_rules():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return [
        (rule.endpoint, build_path(rule), sorted(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    ], app


RULES, _APP = all_rules()


def test_every_route_declares_who_may_reach_it():
    undeclared = [endpoint for endpoint, _, _ in RULES if allowed_roles(_APP, endpoint) is None]
    assert undeclared == []


@pytest.mark.parametrize("endpoint,path,methods", RULES, ids=[r[0] for r in RULES])
def test_roles_outside_policy_are_refused(client, auth, endpoint, path, methods):
    allowed = allowed_roles(client.application, endpoint)
    if allowed == PUBLIC:
        pytest.skip("public page")
    for method in methods:
        anonymous = client.open(path, method=method)
        assert anonymous.status_code in (302, 401), (method, path, anonymous.status_code)
    for role in Role:
        if role in allowed:
            continue
        auth.login(role)
        for method in methods:
            response = client.open(path, method=method)
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert "无权访问" in response.get_data(as_text=True)
        auth.logout()


@pytest.mark.parametrize("endpoint,path,methods", RULES, ids=[r[0] for r in RULES])
def test_roles_inside_policy_are_not_refused(client, auth, endpoint, path, methods):
    allowed = allowed_roles(client.application, endpoint)
    roles = list(Role) if allowed == PUBLIC else sorted(allowed)
    for role in roles:
        auth.login(role)
        for method in methods:
            response = client.open(path, method=method)
            assert response.status_code != 403, (role, method, path)
        auth.logout()


def test_navigation_only_offers_pages_the_role_may_open(client, auth):
    from simulator.templating import NAVIGATION

    for role in Role:
        auth.login(role)
        html = client.get("/").get_data(as_text=True)
        for endpoint, label, _roles in NAVIGATION:
            if endpoint not in client.application.view_functions:
                continue
            allowed = allowed_roles(client.application, endpoint)
            if f">{label}</a>" in html:
                assert allowed == PUBLIC or role in allowed, (role, endpoint)
        auth.logout()
