"""Forms of the quiz area (trainers' import; the answer forms are posted by htmx under the global CSRF check)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

IMPORT_EXTENSIONS = ["xlsx", "gift", "txt"]


class BankImportForm(FlaskForm):
    """Upload of an XLSX bank or a Moodle GIFT file."""

    file = FileField(
        "题库文件(.xlsx 或 GIFT 的 .gift / .txt)",
        validators=[
            FileRequired("请选择要导入的文件。"),
            FileAllowed(IMPORT_EXTENSIONS, "只支持 .xlsx、.gift 或 .txt 文件。"),
        ],
    )


class GiftConfirmForm(FlaskForm):
    """The previewed GIFT text, posted back when the trainer confirms importing its supported questions."""

    gift_text = TextAreaField("GIFT", validators=[DataRequired("缺少 GIFT 内容,请重新上传。")])
    filename = HiddenField(validators=[Length(max=200)])
