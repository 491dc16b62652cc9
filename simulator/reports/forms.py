"""Forms of the reports blueprint (CSRF-protected by Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

EXPORT_KINDS = [
    SelectChoice("attempts", "演练记录"),
    SelectChoice("turns", "对话明细"),
    SelectChoice("quizzes", "测验成绩"),
    SelectChoice("certifications", "认证情况"),
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

    # the combination is checked by exports.start_export, with a Chinese message (wtforms' is English)
    kind = SelectField("导出内容", choices=EXPORT_KINDS, validate_choice=False,
                       validators=[DataRequired("请选择导出内容。")])  # fmt: skip
    format = SelectField(
        "格式", choices=EXPORT_FORMATS, validate_choice=False, validators=[DataRequired("请选择格式。")]
    )


class HrSitesForm(FlaskForm):
    """The further sites one HR user covers."""

    user_id = SelectField("人事", coerce=int, validate_choice=False, validators=[DataRequired("请选择人事账号。")])
    sites = SelectMultipleField("管辖项目", coerce=int, validate_choice=False)

    def validate_user_id(self, field) -> None:
        if field.data not in {choice.value for choice in self.user_id.choices}:
            raise ValidationError("所选账号不是人事账号。")

    def validate_sites(self, field) -> None:
        known = {choice.value for choice in self.sites.choices}
        if any(site_id not in known for site_id in field.data or []):
            raise ValidationError("所选项目不存在。")
