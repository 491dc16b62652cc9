"""Command-line tasks: ``flask --app simulator <command>``."""

from __future__ import annotations

import os

import click
from flask import Flask

from .content import sync_content
from .extensions import db
from .models import Role, Site, User, find_user

DEMO_SITE = "示范项目管理处"
DEMO_USERS = [
    ("demo-trainee", "示范学员 李管家", Role.TRAINEE),
    ("demo-trainer", "示范培训师 王老师", Role.TRAINER),
    ("demo-hr", "示范人事 陈专员", Role.HR),
    ("demo-admin", "示范管理员", Role.ADMIN),
]


def seed_demo_users(password: str | None = None) -> list[tuple[str, str, str]]:
    """Create the demo site and one demo account per role, once.

    Args:
        password: the password for every new demo account; random per account when None.

    Returns:
        (username, role label, password) for each account created now; empty on later runs.
    """
    from .admin.roster import generate_initial_password

    site = db.session.execute(db.select(Site).filter_by(name=DEMO_SITE)).scalar_one_or_none()
    if site is None:
        site = Site(name=DEMO_SITE)
        db.session.add(site)
    created = []
    for username, name, role in DEMO_USERS:
        if find_user(username) is not None:
            continue
        secret = password or generate_initial_password()
        user = User(username=username, display_name=name, role=role.value, site=site)
        user.set_password(secret)
        db.session.add(user)
        created.append((username, role.label, secret))
    db.session.commit()
    return created


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create one demo account per role (passwords printed only when created)."""
        created = seed_demo_users(os.environ.get("GUANJIA_DEMO_PASSWORD") or None)
        if not created:
            click.echo("演示账号已存在,未做改动(忘记密码可由 demo-admin 在“用户管理”中重置)。")
            return
        click.echo("已创建演示账号(密码只显示这一次,数据库里只保存哈希):")
        for username, label, secret in created:
            click.echo(f"  {label:<4} 工号 {username:<14} 密码 {secret}")

    @app.cli.group("content")
    def content_group() -> None:
        """Shipped content: scenarios, question bank, quizzes."""

    @content_group.command("load")
    def load() -> None:
        """Load the scenario library, question bank and quiz definitions (idempotent)."""
        from .shipped import shipped_content

        for kind, items in shipped_content():
            click.echo(sync_content(kind, items).summary())
