"""Forms of the reports blueprint (CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

EXPORT_KINDS = [
    SelectChoice("attempts", "演练记录"),
    SelectChoice("turns", "对话明细"),
    SelectChoice("quizzes", "测验成绩"),
    SelectChoice("xapi", "xAPI 学习记录"),
]
EXPORT_FORMATS = [
    SelectChoice("xlsx", "Excel"),
    SelectChoice("csv", "CSV"),
    SelectChoice("json", "JSON"),
    SelectChoice("lrs", "发送到 LRS"),
]


class ExportForm(FlaskForm):
    """Which export; the filters travel beside it as plain fields (validated by the reports service)."""

    kind = SelectField("导出内容", choices=EXPORT_KINDS, validators=[DataRequired("请选择导出内容。")])
    format = SelectField("格式", choices=EXPORT_FORMATS, validators=[DataRequired("请选择格式。")])


class HrSitesForm(FlaskForm):
    """The further sites one HR user covers."""

    user_id = SelectField("人事", coerce=int, validators=[DataRequired("请选择人事账号。")])
    sites = SelectMultipleField("管辖项目", coerce=int)
