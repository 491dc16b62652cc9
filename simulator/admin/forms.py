from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..models import ROLE_LABELS


class UserForm(FlaskForm):
    username = StringField(
        "工号",
        validators=[
            DataRequired("请输入工号。"),
            Regexp(r"^[A-Za-z0-9_\-]{2,40}$", message="工号只能是 2–40 位字母、数字、- 或 _。"),
        ],
    )
    display_name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=60)])
    site = StringField("项目/管理处", validators=[DataRequired("请输入项目/管理处。"), Length(max=100)])
    role = SelectField("角色", choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()])
    password = PasswordField(
        "初始密码(留空则自动生成)",
        validators=[Optional(), Length(min=8, max=200, message="密码至少 8 位。")],
    )


class RosterForm(FlaskForm):
    file = FileField(
        "花名册文件",
        validators=[
            FileRequired("请选择要导入的文件。"),
            FileAllowed(["csv", "xlsx"], "只支持 .csv 或 .xlsx 文件。"),
        ],
    )


class ActionForm(FlaskForm):
    """An empty form: its CSRF token protects one-button actions (disable, reset password)."""
