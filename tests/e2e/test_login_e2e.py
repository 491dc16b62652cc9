from __future__ import annotations

import pytest

from tests.e2e.conftest import login, screenshot

HOMES = {
    "demo-trainee": ("最近的演练", "学员"),
    "demo-trainer": ("教学管理", "培训师"),
    "demo-hr": ("考核数据", "人事"),
    "demo-admin": ("系统管理", "管理员"),
}


@pytest.mark.parametrize("username", list(HOMES))
def test_each_demo_role_logs_in_to_its_home(page, username):
    heading, badge = HOMES[username]
    login(page, username)
    assert page.locator("h1").first.inner_text().strip().endswith(heading) or heading in page.content()
    assert page.locator(".who .badge").inner_text() == badge
    # the CJK font is really there, so the screenshot shows glyphs rather than boxes
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')")
    path = screenshot(page, f"home-{username}")
    assert path.stat().st_size > 10_000
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/auth/login")
    assert "您已安全退出" in page.content()


def test_wrong_password_shows_chinese_error(page):
    page.goto("/auth/login")
    page.get_by_label("工号").fill("demo-trainee")
    page.get_by_label("密码", exact=True).fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("status").inner_text().startswith("工号或密码不正确")
    page.console.errors.clear()  # the 401 response itself is logged by Chromium as a failed resource


def test_trainee_is_refused_admin_pages_with_chinese_403(page):
    login(page, "demo-trainee")
    response = page.goto("/admin/users")
    assert response.status == 403
    assert "无权访问" in page.content()
    page.console.errors.clear()


def test_login_page_on_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto("/auth/login")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "login-phone")
    context.close()


def test_trainer_sees_the_scenario_graph_rendered(page):
    login(page, "demo-trainer")
    page.goto("/content")
    page.get_by_role("link", name="电梯困人").first.click()
    graph = page.locator("#scenario-graph svg")
    graph.wait_for()
    assert graph.locator(".node").count() >= 4
    screenshot(page, "scenario-graph")


def test_pages_are_served_with_a_strict_policy(page):
    response = page.goto("/auth/login")
    headers = response.headers
    assert "script-src 'self';" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    # an inline script injected into the page is refused by the browser
    from playwright.sync_api import Error as PlaywrightError

    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.__inline = true")
    assert page.evaluate("window.__inline === undefined")
    refused = [e for e in page.console.errors if "Content Security Policy" in e]
    assert refused  # the expected refusal; anything else still fails the test at teardown
    page.console.errors[:] = [e for e in page.console.errors if e not in refused]


def test_reset_password_asks_before_it_is_sent(page):
    login(page, "demo-admin")
    page.goto("/admin/users")
    row = page.locator("tr", has_text="demo-trainee")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.get_by_role("button", name="重置密码").click()
    page.wait_for_timeout(300)
    assert asked == ["确定重置 demo-trainee 的密码?"]
    assert "新密码" not in page.content()  # dismissed: nothing was reset
