"""Forms of the quiz area (trainers' import; the answer forms are posted by htmx under the global CSRF check)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

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
    """The trainer confirms importing a previewed GIFT file; the text itself waits on the server (issue 14.9)."""

    token = HiddenField(
        validators=[
            DataRequired("缺少预览编号,请重新上传文件。"),
            Regexp(r"^[A-Za-z0-9_-]{20,64}$", message="预览编号无效,请重新上传文件。"),
        ]
    )
