"""Issue 14.5: the login limit counts failures only, per account and per client address."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, gen_user

limited = pytest.mark.app_config(RATELIMIT_ENABLED=True)


def login(client, username: str, password: str = PASSWORD, address: str = "203.0.113.5", forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        "/auth/login",
        data={"username": username, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def logout(client) -> None:
    assert client.post("/auth/logout").status_code == 303


@limited
def test_successful_logins_never_count(app, client):
    """Five correct logins by four users used to lock the sixth out (the limit counted successes)."""
    with app.app_context():
        names = [gen_user("trainee").username for _ in range(4)]
    for username in names + names[:2] + names:  # ten correct logins from one address within a minute
        assert login(client, username).status_code == 303, username
        logout(client)


@limited
def test_failures_from_one_address_are_limited_with_a_chinese_page(app, client):
    statuses = [login(client, f"guess{n}", "wrong").status_code for n in range(5)]
    assert statuses == [401] * 5
    response = login(client, "guess-more", "wrong")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "操作过于频繁" in html and "登录失败次数过多" in html and "分钟后" in html
    assert response.headers.get("Retry-After")


@limited
def test_an_attacker_does_not_lock_a_named_account_out_from_other_addresses_at_once(app, client):
    with app.app_context():
        victim = gen_user("trainee").username
    attacker = app.test_client()
    for _ in range(5):
        assert login(attacker, victim, "wrong", address="198.51.100.66").status_code == 401
    assert login(attacker, victim, "wrong", address="198.51.100.66").status_code == 429  # the address is limited
    assert login(client, victim, address="203.0.113.7").status_code == 303  # the account is not (yet)


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute")
def test_many_failures_on_one_account_are_limited_from_every_address(app, client):
    with app.app_context():
        victim = gen_user("trainee").username
    statuses = [login(client, victim, "wrong", address=f"198.51.100.{n}").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]
    response = login(client, victim.upper(), address="203.0.113.9")  # the same account, however typed
    assert response.status_code == 429 and "此工号" in response.get_data(as_text=True)
    assert login(client, "someone-else", "wrong", address="203.0.113.9").status_code == 401


@limited
def test_forwarded_for_is_ignored_without_a_configured_proxy(app, client):
    statuses = [login(client, "x", "wrong", forwarded=f"10.0.0.{n}").status_code for n in range(6)]
    assert statuses[-1] == 429  # a forged header does not buy new attempts


@pytest.mark.app_config(RATELIMIT_ENABLED=True, PROXY_FIX_X_FOR=1)
def test_behind_a_configured_proxy_each_client_has_its_own_counter(app, client):
    with app.app_context():
        username = gen_user("trainee").username
    proxy = "127.0.0.1"
    for _ in range(5):
        assert login(client, "x", "wrong", address=proxy, forwarded="10.0.0.1").status_code == 401
    assert login(client, "x", "wrong", address=proxy, forwarded="10.0.0.1").status_code == 429
    assert login(client, username, address=proxy, forwarded="10.0.0.2").status_code == 303
