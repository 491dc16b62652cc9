"""Question and quiz-definition authoring: every type through the form with the bank linter's checks,
strict YAML, versions, 停用, stale edits refused, item analysis labelled by the options as given."""

from __future__ import annotations

import pytest

from simulator.content import current_version
from simulator.extensions import db
from simulator.models import ContentVersion, Origin, QuizAttempt, Role
from simulator.quiz import service as quiz_service
from tests.conftest import gen_user

SOURCE = {"source.file": "001_a8786d0e8591f2d3.txt", "source.section": "3.2客戶投訴處理流程"}
TOPIC = "投诉处理 L-U-A-S-F"

NEW_QUESTIONS = {
    "single": {"options": "倾听\n理解\n道歉与保证\n跟进", "answer": "C"},
    "multiple": {"options": "倾听\n推诿\n道歉\n跟进", "answer": "A,C,D"},
    "truefalse": {"answer": "true", "feedback_true": "对,先倾听。"},
    "fill": {"accepted": "倾听\n聆听 | 0.5 | 意思接近"},
    "ordering": {"items": "倾听\n理解\n道歉与保证\n解决\n跟进"},
    "short": {"reference": "先倾听并道歉,再给出解决方案和时限,最后回访。", "key_points": "倾听 | 倾听,听\n致歉\n回访"},
}
STEMS = {"fill": "投诉处理第一步是____。"}


@pytest.fixture
def bank(app):
    from simulator.content import sync_content
    from simulator.shipped import shipped_content

    with app.app_context():
        for kind, items in shipped_content():
            if kind != "scenario":
                sync_content(kind, items)
    return app


@pytest.fixture
def trainer(bank, auth):
    return auth.login(Role.TRAINER)


def existing_single(app) -> str:
    """The id of a shipped single-choice question (whichever the bank holds first)."""
    with app.app_context():
        rows = db.session.execute(
            db.select(ContentVersion).where(ContentVersion.kind == "question", ContentVersion.is_current.is_(True))
            .order_by(ContentVersion.key)
        ).scalars()
        return next(row.key for row in rows if row.data["type"] == "single")


def form_for(qtype: str, qid: str, **overrides) -> dict:
    return {"type": qtype, "id": qid, "topic": TOPIC, "difficulty": "1",
            "stem": STEMS.get(qtype, "L-U-A-S-F 的处理顺序与要点?"), "explanation": "手册 001 第 3.2 节。",
            **SOURCE, **NEW_QUESTIONS[qtype], "action": "save", **overrides}


@pytest.mark.parametrize("qtype", list(NEW_QUESTIONS))
def test_every_type_is_created_previewed_and_edited_in_the_browser(client, trainer, bank, qtype):
    qid = f"authored-{qtype}-001"
    assert client.get(f"/author/questions/new?type={qtype}").status_code == 200
    preview = client.post("/author/questions/save", data=form_for(qtype, qid, action="preview"))
    assert preview.status_code == 200 and 'id="question-preview"' in preview.get_data(as_text=True)
    with bank.app_context():
        assert current_version("question", qid) is None  # a preview saves nothing
    response = client.post("/author/questions/save", data=form_for(qtype, qid))
    assert response.status_code == 303, response.get_data(as_text=True)
    with bank.app_context():
        row = current_version("question", qid)
        assert row.origin == Origin.AUTHORED.value and row.data["type"] == qtype and row.data["topic"] == TOPIC
        first = row.version
    page = client.get(f"/author/questions/{qid}").get_data(as_text=True)
    assert 'id="question-preview"' in page and "L-U-A-S-F" in page or "____" in page
    edited = form_for(qtype, qid, explanation="改过的解析。", key=qid, base_version=first)
    assert client.post("/author/questions/save", data=edited).status_code == 303
    with bank.app_context():
        rows = db.session.execute(db.select(ContentVersion).where(ContentVersion.key == qid)).scalars().all()
        assert len(rows) == 2 and current_version("question", qid).data["explanation"] == "改过的解析。"
        assert {r.version for r in rows if not r.is_current} == {first}


@pytest.mark.parametrize("overrides,path,message", [
    ({"answer": "F"}, "answer", ""),
    ({"topic": "不存在的主题"}, "topic", "未知主题"),
    ({"source.file": "", "source.section": ""}, "source", "缺少出处"),
    ({"id": "<existing>"}, "id", "已被另一道题使用"),
])
def test_problems_are_shown_beside_the_field_and_nothing_is_saved(client, trainer, bank, overrides, path, message):
    if overrides.get("id") == "<existing>":
        overrides = {"id": existing_single(bank)}
    with bank.app_context():
        before = db.session.scalar(db.select(db.func.count(ContentVersion.id)))
    response = client.post("/author/questions/save", data=form_for("single", "authored-bad-001", **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'data-path="{path}' in html and message in html
    with bank.app_context():
        assert db.session.scalar(db.select(db.func.count(ContentVersion.id))) == before


def test_yaml_with_duplicate_keys_is_refused(client, trainer, bank):
    text = ("id: authored-yaml-001\ntype: truefalse\nstem: 对吗?\nanswer: true\nanswer: false\n"
            f"topic: {TOPIC}\ndifficulty: 1\n"
            "source: {file: 001_a8786d0e8591f2d3.txt, section: 3.2客戶投訴處理流程}\n")
    response = client.post("/author/questions/save", data={"mode": "yaml", "yaml": text, "action": "save"})
    assert response.status_code == 422 and "重复的键" in response.get_data(as_text=True)
    fixed = text.replace("answer: false\n", "")
    assert client.post("/author/questions/save", data={"mode": "yaml", "yaml": fixed}).status_code == 303
    with bank.app_context():
        assert current_version("question", "authored-yaml-001").data["answer"] is True


def test_a_stale_edit_is_refused(client, trainer, bank):
    qid = existing_single(bank)
    with bank.app_context():
        row = current_version("question", qid)
        data, version = dict(row.data), row.version
    base = {"type": data["type"], "id": qid, "key": qid, "base_version": version}
    page_fields = {k: v for k, v in form_for("single", qid).items()}
    first = {**page_fields, **base, "stem": "第一位培训师改的题干"}
    second = {**page_fields, **base, "stem": "第二位培训师改的题干"}
    assert client.post("/author/questions/save", data=first).status_code == 303
    response = client.post("/author/questions/save", data=second)
    assert response.status_code == 409 and "您的修改没有保存" in response.get_data(as_text=True)
    with bank.app_context():
        assert current_version("question", qid).data["stem"] == "第一位培训师改的题干"


def test_retire_and_restore(client, trainer, bank):
    qid = existing_single(bank)
    assert client.post(f"/author/questions/{qid}/retire").status_code == 303
    with bank.app_context():
        assert current_version("question", qid) is None
        bank_now, _ = quiz_service.current_bank()
        assert qid not in bank_now
    listing = client.get("/author/questions/").get_data(as_text=True)
    assert f'data-question="{qid}"' not in listing and f"/author/questions/{qid}/restore" in listing
    assert client.post(f"/author/questions/{qid}/restore").status_code == 303
    with bank.app_context():
        assert current_version("question", qid) is not None


def test_item_analysis_labels_old_answers_with_the_options_they_were_given(client, trainer, bank):
    """A single-choice question answered, then edited (options reworded and reordered): the old
    answers keep their own row with the options as given; the new version starts its own counts."""
    with bank.app_context():
        site_id = db.session.get(type(trainer), trainer.id).site_id
        trainee = gen_user(Role.TRAINEE)
        assert trainee.site_id == site_id
        attempt = quiz_service.start_attempt(trainee, "emergency-cert", seed=7)
        drawn = quiz_service.drawn_questions(attempt)
        position, item = next((i, d) for i, d in enumerate(drawn) if d.question.type_name == "single")
        quiz_service.save_answer(attempt, position, item.question.answer)
        quiz_service.submit_attempt(attempt)
        qid, attempt_id = item.id, attempt.id
        row = current_version("question", qid)
        old = dict(row.data)
        version = row.version
    new_options = [f"(新){text}" for text in reversed(old["options"])]
    answer_index = "ABCDEFGH".index(old["answer"])
    new_answer = "ABCDEFGH"[len(old["options"]) - 1 - answer_index]
    form = {"type": "single", "id": qid, "key": qid, "base_version": version, "topic": old["topic"],
            "difficulty": str(old["difficulty"]), "stem": old["stem"], "explanation": old.get("explanation", ""),
            "options": "\n".join(new_options), "answer": new_answer, "source.file": old["source"]["file"],
            "source.section": old["source"]["section"], "action": "save"}
    assert client.post("/author/questions/save", data=form).status_code == 303
    with bank.app_context():
        analysis = quiz_service.item_analysis(site_id, "emergency-cert")
    rows = {r.question_id: r for r in analysis.rows}
    old_row = rows[f"{qid}(旧版本 1)"]
    assert [text for _letter, text, *_ in old_row.options] == old["options"]
    chosen = [(letter, text) for letter, text, count, _pct, _key in old_row.options if count]
    assert chosen == [(old["answer"], old["options"][answer_index])]
    assert qid not in rows  # nobody has answered the new version yet
    with bank.app_context():
        frozen = db.session.get(QuizAttempt, attempt_id)
        assert all("(新)" not in o for q in frozen.questions if q["question"]["id"] == qid
                   for o in q["question"]["options"])


def test_quiz_definition_is_created_and_edited_with_bank_checks(client, trainer, bank):
    form = {"id": "authored-quiz", "title": "本站投诉处理小测", "mode": "practice", "time_limit_s": "300",
            "pass_mark": "60", "max_attempts": "0", "shuffle_options": "1",
            "r0.topic": TOPIC, "r0.count": "999"}
    response = client.post("/author/quizzes/save", data=form)
    assert response.status_code == 422 and "只有" in response.get_data(as_text=True)
    form["r0.count"] = "2"
    form["r1.topic"], form["r1.count"] = TOPIC, "1"
    form.setdefault("r1.types", "truefalse")
    assert client.post("/author/quizzes/save", data=form).status_code == 303
    with bank.app_context():
        row = current_version("quiz", "authored-quiz")
        assert row.data["draw"] == [{"topic": TOPIC, "count": 2}, {"topic": TOPIC, "count": 1, "types": ["truefalse"]}]
        version = row.version
    edited = {**form, "key": "authored-quiz", "base_version": version, "mode": "assessment", "max_attempts": "2",
              "r1.delete": "1"}
    assert client.post("/author/quizzes/save", data=edited).status_code == 303
    with bank.app_context():
        data = current_version("quiz", "authored-quiz").data
        assert (data["mode"], data["max_attempts"], len(data["draw"])) == ("assessment", 2, 1)
    assert client.get("/author/quizzes/rule").status_code == 200
    assert "本站投诉处理小测" in client.get("/author/quizzes/").get_data(as_text=True)


def test_only_trainers_and_admins_author_questions(client, auth, bank):
    auth.login(Role.TRAINEE)
    assert client.get("/author/questions/").status_code == 403
    assert client.post("/author/questions/save", data=form_for("single", "x-1")).status_code == 403
    assert client.post("/author/quizzes/save", data={}).status_code == 403
