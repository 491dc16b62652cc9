from __future__ import annotations

import pytest

from simulator.extensions import db
from simulator.models import User
from tests.conftest import PASSWORD, AuthActions, gen_user

HOME_MARKERS = {
    "trainee": "最近的演练",
    "trainer": "教学管理",
    "hr": "考核数据",
    "admin": "系统管理",
}


def test_login_success_redirects_home(app, client):
    with app.app_context():
        user = gen_user("trainee")
        username = user.username
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "最近的演练" in page


@pytest.mark.parametrize("username,password", [("trainee-x", "wrong"), ("nobody", PASSWORD)])
def test_login_failure_does_not_reveal_whether_account_exists(app, client, username, password):
    with app.app_context():
        gen_user("trainee", username="trainee-x")
    response = client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 401
    assert "工号或密码不正确" in response.get_data(as_text=True)


def test_disabled_user_cannot_log_in(app, client):
    with app.app_context():
        gen_user("trainee", username="gone", active=False)
    response = client.post("/auth/login", data={"username": "gone", "password": PASSWORD})
    assert response.status_code == 401


def test_passwords_are_stored_hashed(app):
    with app.app_context():
        user = gen_user("trainee")
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("pbkdf2:") and user.check_password(PASSWORD)
    assert create_app_default_hash().startswith("scrypt:")


def create_app_default_hash() -> str:
    user = User(username="x", display_name="x", role="trainee", site_id=1)
    user.set_password(PASSWORD)  # outside an app context: the production default
    return user.password_hash


def test_logout(client, auth):
    auth.login("trainee")
    assert client.post("/auth/logout").status_code == 303
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_next_parameter_only_follows_local_paths(app, client):
    with app.app_context():
        username = gen_user("admin").username
    response = client.post("/auth/login?next=https://evil.example/", data={"username": username, "password": PASSWORD})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("role", list(HOME_MARKERS))
def test_each_role_lands_on_its_home(client, auth, role):
    auth.login(role)
    html = client.get("/").get_data(as_text=True)
    assert HOME_MARKERS[role] in html
    for other, marker in HOME_MARKERS.items():
        if other != role:
            assert f"<h1>{marker}</h1>" not in html


def test_session_cookie_flags(app, client):
    with app.app_context():
        username = gen_user("trainee").username
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_login_is_rate_limited(app, client):
    """Runs alone or in any order: the app fixture gives each limited app empty counters."""
    responses = [client.post("/auth/login", data={"username": "someone", "password": "bad"}) for _ in range(7)]
    statuses = [response.status_code for response in responses]
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429
    assert "操作过于频繁" in responses[-1].get_data(as_text=True)


def test_csrf_token_is_required(client, app):
    with app.app_context():
        username = gen_user("trainee").username
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD}, no_csrf=True)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_csrf_required_for_htmx_requests_too(client, auth):
    auth.login("admin")
    with client.application.app_context():
        target = db.session.execute(db.select(User).filter_by(role="trainee")).scalar_one_or_none()
        target = target or gen_user("trainee")
        target_id = target.id
    response = client.post(f"/admin/users/{target_id}/toggle", headers={"HX-Request": "true"}, no_csrf=True)
    assert response.status_code == 400
    with client.application.app_context():
        assert db.session.get(User, target_id).active is True


def test_user_changes_own_password(app, client, auth):
    user = auth.login("trainee")
    response = client.post(
        "/auth/password", data={"current": PASSWORD, "new": "a-brand-new-pass", "confirm": "a-brand-new-pass"}
    )
    assert response.status_code == 303
    auth.logout()
    assert client.post("/auth/login", data={"username": user.username, "password": PASSWORD}).status_code == 401
    assert (
        client.post("/auth/login", data={"username": user.username, "password": "a-brand-new-pass"}).status_code == 303
    )


@pytest.mark.parametrize(
    "data,message",
    [
        ({"current": "wrong-password", "new": "a-brand-new-pass", "confirm": "a-brand-new-pass"}, "当前密码不正确"),
        ({"current": PASSWORD, "new": "short", "confirm": "short"}, "新密码至少 8 位"),
        ({"current": PASSWORD, "new": "a-brand-new-pass", "confirm": "another-pass-123"}, "两次输入的新密码不一致"),
        ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}, "不能与当前密码相同"),
    ],
)
def test_password_change_errors_keep_the_old_password(app, client, auth, data, message):
    user = auth.login("trainee")
    response = client.post("/auth/password", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).check_password(PASSWORD)


def copied(client, *names: str):
    """A second browser holding copies of ``client``'s cookies (as an attacker who copied them would)."""
    other = client.application.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def login_remembered(client, username: str) -> None:
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 303 and client.get_cookie("remember_token") is not None


def test_a_session_copied_before_logout_no_longer_works(app, client):
    """Issue 14.4: logout only replaced the cookie; a copy taken before still signed in."""
    with app.app_context():
        username = gen_user("trainee").username
    login_remembered(client, username)
    session_copy, remember_copy = copied(client, "session"), copied(client, "remember_token")
    assert signed_in(session_copy) and signed_in(remember_copy)
    client.post("/auth/logout")
    assert not signed_in(session_copy) and not signed_in(remember_copy)


def test_an_admin_password_reset_ends_the_users_sessions(app, client, auth):
    with app.app_context():
        user = gen_user("trainee")
        username, user_id = user.username, user.id
    login_remembered(client, username)
    remember_copy = copied(client, "remember_token")
    admin = app.test_client()  # a CSRF-aware client (the client fixture set the class)
    AuthActions(app, admin).login("admin")
    assert admin.post(f"/admin/users/{user_id}/reset-password").status_code == 303
    assert not signed_in(client) and not signed_in(remember_copy)


def test_changing_ones_password_ends_other_sessions_but_keeps_this_one(app, client):
    with app.app_context():
        username = gen_user("trainee").username
    login_remembered(client, username)
    elsewhere = copied(client, "session", "remember_token")
    response = client.post(
        "/auth/password", data={"current": PASSWORD, "new": "a-brand-new-secret-42", "confirm": "a-brand-new-secret-42"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    home = client.get("/")
    assert home.status_code == 200 and "其他设备上的登录已结束" in home.get_data(as_text=True)
    assert not signed_in(elsewhere)


def test_sessions_from_before_session_versions_are_refused(app, client):
    with app.app_context():
        user_id = gen_user("trainee").id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)  # the id alone, as Flask-Login stored it before
        session["_fresh"] = True
    assert not signed_in(client)
