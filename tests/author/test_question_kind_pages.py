"""A question type registered in code reaches the pages through its hooks alone: the take panel
includes its partial, the author form shows its fields and the preview its partial."""

from __future__ import annotations

from types import SimpleNamespace

from flask import render_template

from quizzes.definitions import DrawnQuestion
from quizzes.types import question_from_dict
from tests.quizzes.test_question_kinds import TOY, toy_kind  # noqa: F401 - the fixture


def test_the_take_panel_includes_the_kinds_partial(app, toy_kind):  # noqa: F811
    drawn = DrawnQuestion(question_from_dict(TOY))
    with app.test_request_context():
        html = render_template(
            "quiz/_panel.html", attempt=SimpleNamespace(id=1), drawn=[drawn], position=1, item=drawn, current=None
        )
    assert "第 1 / 1 题 · 关键词" in html and TOY["stem"] in html
    assert 'id="quiz-answer" name="answer"' in html  # the partial the toy kind names
    assert 'hx-trigger="input delay:800ms, change"' in html  # typed_answer


def test_the_author_form_and_preview_come_from_the_kind(client, trainer, toy_kind):  # noqa: F811
    html = client.get("/author/questions/new?type=keyword").get_data(as_text=True)
    assert "新建关键词题" in html and 'name="keyword"' in html and "必须出现的关键词" in html
    form = {
        "type": "keyword",
        "id": "toy-002",
        "topic": TOY["topic"],
        "difficulty": "1",
        "stem": TOY["stem"],
        "keyword": "您好",
        "explanation": "先问候。",
        "source.file": "003_155df04f83bb14c9.txt",
        "source.section": "客户服务口诀",
        "action": "preview",
    }
    html = client.post("/author/questions/save", data=form).get_data(as_text=True)
    assert 'id="question-preview"' in html and "在此填写答案" in html and "<strong>答案:</strong>您好" in html
