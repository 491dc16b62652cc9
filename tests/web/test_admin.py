from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from simulator.extensions import db
from simulator.models import Site, User
from tests.conftest import PASSWORD, AuthActions, gen_user

GOOD_CSV = "工号,姓名,项目/管理处,角色\nGJ2001,张伟,翠湖花园管理处,学员\nGJ2002,李娜,滨江壹号项目,培训师\n"


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, name: str, data: bytes):
    return client.post("/admin/roster", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def usernames(app) -> set[str]:
    with app.app_context():
        return set(db.session.execute(db.select(User.username)).scalars())


def test_admin_creates_user_and_new_user_can_log_in(app, client, auth):
    auth.login("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "GJ3001",
            "display_name": "周敏",
            "site": "新项目管理处",
            "role": "trainee",
            "password": "",
        },
    )
    assert response.status_code == 303
    notice = client.get(response.headers["Location"]).get_data(as_text=True)
    password = notice.split("初始密码:")[1][:12]
    assert "GJ3001" in notice and "周敏" in notice
    assert "GJ3001" in client.get("/admin/users").get_data(as_text=True)
    auth.logout()
    assert client.post("/auth/login", data={"username": "GJ3001", "password": password}).status_code == 303


def test_duplicate_username_is_refused_with_chinese_message(app, client, auth):
    admin = auth.login("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": admin.username,
            "display_name": "重复",
            "site": "翠湖花园管理处",
            "role": "trainee",
        },
    )
    assert response.status_code == 422
    assert "已存在" in response.get_data(as_text=True)


def test_admin_disables_and_reenables_user(app, client, auth):
    with app.app_context():
        target = gen_user("trainee", username="to-disable")
        target_id = target.id
    auth.login("admin")
    client.post(f"/admin/users/{target_id}/toggle")
    with app.app_context():
        assert db.session.get(User, target_id).active is False
    auth.logout()
    assert client.post("/auth/login", data={"username": "to-disable", "password": PASSWORD}).status_code == 401
    auth.login("admin")
    client.post(f"/admin/users/{target_id}/toggle")
    with app.app_context():
        assert db.session.get(User, target_id).active is True


def test_admin_cannot_disable_self(app, client, auth):
    admin = auth.login("admin")
    page = client.post(f"/admin/users/{admin.id}/toggle", follow_redirects=True).get_data(as_text=True)
    assert "不能停用自己的账号" in page
    with app.app_context():
        assert db.session.get(User, admin.id).active


def test_reset_password_shows_new_password_once(app, client, auth):
    with app.app_context():
        target_id = gen_user("trainee", username="forgetful").id
    auth.login("admin")
    page = client.post(f"/admin/users/{target_id}/reset-password", follow_redirects=True).get_data(as_text=True)
    new_password = page.split("新密码:")[1][:12]
    assert "新密码" not in client.get("/admin/users").get_data(as_text=True)
    auth.logout()
    assert client.post("/auth/login", data={"username": "forgetful", "password": PASSWORD}).status_code == 401
    assert client.post("/auth/login", data={"username": "forgetful", "password": new_password}).status_code == 303


@pytest.mark.parametrize(
    "name,data",
    [
        ("roster.csv", GOOD_CSV.encode("utf-8")),
        ("roster.csv", GOOD_CSV.encode("utf-8-sig")),
        ("roster.csv", GOOD_CSV.encode("gbk")),
        (
            "roster.xlsx",
            xlsx_bytes(
                [
                    ["工号", "姓名", "项目/管理处", "角色"],
                    ["GJ2001", "张伟", "翠湖花园管理处", "学员"],
                    ["GJ2002", "李娜", "滨江壹号项目", "培训师"],
                ]
            ),
        ),
    ],
)
def test_good_roster_imports_everyone(app, client, auth, name, data):
    auth.login("admin")
    response = upload(client, name, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "新建 2 人" in html and "初始密码" in html
    with app.app_context():
        lina = db.session.execute(db.select(User).filter_by(username="GJ2002")).scalar_one()
        assert lina.role == "trainer" and lina.site.name == "滨江壹号项目"
        assert db.session.execute(db.select(Site).filter_by(name="滨江壹号项目")).scalar_one()


def test_reimport_updates_instead_of_duplicating(app, client, auth):
    auth.login("admin")
    upload(client, "roster.csv", GOOD_CSV.encode())
    changed = GOOD_CSV.replace("张伟,翠湖花园管理处,学员", "张伟,滨江壹号项目,人事")
    html = upload(client, "roster.csv", changed.encode()).get_data(as_text=True)
    assert "新建 0 人,更新 2 人" in html
    with app.app_context():
        users = db.session.execute(db.select(User).filter_by(username="GJ2001")).scalars().all()
        assert len(users) == 1 and users[0].role == "hr"


@pytest.mark.parametrize(
    "content,expected",
    [
        ("工号,姓名,项目/管理处,角色\nGJ#1,张伟,翠湖,学员\n", "第 2 行:工号“GJ#1”格式不对"),
        ("工号,姓名,项目/管理处,角色\nGJ2001,,翠湖,学员\n", "第 2 行:姓名为空"),
        ("工号,姓名,项目/管理处,角色\nGJ2001,张伟,翠湖,保安\n", "角色“保安”无效"),
        ("工号,姓名,角色\nGJ2001,张伟,学员\n", "表头缺少列:项目/管理处"),
        ("工号,姓名,项目/管理处,角色\nGJ2001,张伟,翠湖,学员\nGJ2001,李娜,翠湖,学员\n", "与第 2 行重复"),
        ("", "文件是空的"),
    ],
)
def test_bad_roster_imports_nothing_and_names_the_row(app, client, auth, content, expected):
    auth.login("admin")
    before = usernames(app)
    response = upload(client, "roster.csv", content.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert expected in html and "未导入任何数据" in html
    assert usernames(app) == before


def test_one_bad_row_among_good_ones_imports_nothing(app, client, auth):
    auth.login("admin")
    before = usernames(app)
    content = GOOD_CSV + "GJ2003,王五,翠湖花园管理处,厨师\n"
    html = upload(client, "roster.csv", content.encode()).get_data(as_text=True)
    assert "第 4 行" in html
    assert usernames(app) == before


def test_roster_rejects_other_file_types(app, client, auth):
    auth.login("admin")
    response = upload(client, "roster.txt", b"hello")
    assert response.status_code == 422 and "只支持 .csv 或 .xlsx" in response.get_data(as_text=True)


def test_corrupt_xlsx_is_reported(app, client, auth):
    auth.login("admin")
    response = upload(client, "roster.xlsx", b"not a zip")
    assert response.status_code == 422 and "无法读取 XLSX 文件" in response.get_data(as_text=True)


def test_roster_template_has_chinese_headers(client, auth):
    auth.login("admin")
    response = client.get("/admin/roster/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [cell.value for cell in sheet[1]] == ["工号", "姓名", "项目/管理处", "角色"]


def session_contents(client) -> str:
    """Everything the session cookie carries, decoded (it is signed, not encrypted: anyone can read it)."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return ""
    serializer = client.application.session_interface.get_signing_serializer(client.application)
    return cookie.value + repr(serializer.loads(cookie.value))


def test_initial_and_reset_passwords_never_travel_in_the_cookie(app, client, auth, monkeypatch):
    """Issue 14.6: the one-time passwords were flashed, i.e. stored in the readable session cookie."""
    passwords = iter(["Initial7xKq2", "ResetPw9mZt4"])
    monkeypatch.setattr("simulator.admin.views.generate_initial_password", lambda: next(passwords))
    with app.app_context():
        target_id = gen_user("trainee", username="forgetful").id
    auth.login("admin")
    created = client.post(
        "/admin/users/new",
        data={"username": "GJ3002", "display_name": "吴静", "site": "翠湖花园管理处", "role": "trainee"},
    )
    reset = client.post(f"/admin/users/{target_id}/reset-password")
    assert created.status_code == reset.status_code == 303
    for password in ("Initial7xKq2", "ResetPw9mZt4"):
        assert password not in session_contents(client)
    assert "初始密码:Initial7xKq2" in client.get(created.headers["Location"]).get_data(as_text=True)
    assert "新密码:ResetPw9mZt4" in client.get(reset.headers["Location"]).get_data(as_text=True)
    for password in ("Initial7xKq2", "ResetPw9mZt4"):
        assert password not in session_contents(client)


def test_a_password_notice_is_shown_once_never_cached_and_only_to_its_admin(app, client, auth):
    with app.app_context():
        target_id = gen_user("trainee").id
    auth.login("admin")
    location = client.post(f"/admin/users/{target_id}/reset-password").headers["Location"]
    other_admin = app.test_client()
    AuthActions(app, other_admin).login("admin")
    assert other_admin.get(location).status_code == 410  # another admin cannot read it (nor use it up)
    first = client.get(location)
    assert first.status_code == 200 and "新密码:" in first.get_data(as_text=True)
    assert "no-store" in first.headers["Cache-Control"]
    again = client.get(location)
    assert again.status_code == 410 and "新密码:" not in again.get_data(as_text=True)
    assert "已经查看过或已过期" in again.get_data(as_text=True)


def test_an_unviewed_password_notice_expires(app, client, auth):
    with app.app_context():
        target_id = gen_user("trainee").id
    auth.login("admin")
    location = client.post(f"/admin/users/{target_id}/reset-password").headers["Location"]
    with app.app_context():
        from simulator.models import PasswordNotice

        for notice in db.session.execute(db.select(PasswordNotice)).scalars():
            notice.expires_at = notice.created_at
        db.session.commit()
    assert client.get(location).status_code == 410


def test_roster_passwords_are_not_cached(app, client, auth):
    auth.login("admin")
    response = upload(client, "roster.csv", GOOD_CSV.encode("utf-8"))
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
