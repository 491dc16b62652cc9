"""The item-analysis page: Moodle's facility and discrimination per question over a site's submitted attempts."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from simulator.extensions import db
from simulator.models import QuizAttempt, Role
from simulator.quiz import service
from tests.conftest import gen_user
from tests.web.test_quiz_views import content, correct_form, wrong_form  # noqa: F401  (fixture)

SEED = 12345


def sit(user, target: int, right_on_target: bool, right_elsewhere: bool) -> QuizAttempt:
    """One submitted emergency-cert attempt with the fixed seed: right or wrong on the target, and elsewhere."""
    attempt = service.start_attempt(user, "emergency-cert", seed=SEED)
    for position, item in enumerate(service.drawn_questions(attempt)):
        right = right_on_target if position == target else right_elsewhere
        fields = correct_form(item) if right else wrong_form(item)
        if item.question.type_name == "short":
            continue
        form = MultiDict(
            [(k, v) for k, values in fields.items() for v in (values if isinstance(values, list) else [values])]
        )
        service.save_answer(attempt, position, service.parse_response(item, form, form.getlist))
    return service.submit_attempt(attempt)


def first_single(app) -> tuple[int, object]:
    with app.app_context():
        probe = gen_user(Role.TRAINEE, site_name="探针项目")
        attempt = service.start_attempt(probe, "emergency-cert", seed=SEED)
        drawn = service.drawn_questions(attempt)
        db.session.delete(attempt)
        db.session.commit()
    position = next(i for i, d in enumerate(drawn) if d.question.type_name == "single")
    return position, drawn[position]


def test_empty_state(client, auth, content):  # noqa: F811
    auth.login(Role.TRAINER)
    html = client.get("/quiz/analysis").get_data(as_text=True)
    assert "还没有已交卷的测验记录" in html


def test_facility_discrimination_options_and_flags_for_the_trainers_site(app, client, auth, content):  # noqa: F811
    target, drawn = first_single(app)
    with app.app_context():
        # strong trainees miss the target, weak ones get it: a negatively discriminating question
        sit(gen_user(Role.TRAINEE), target, False, True)
        sit(gen_user(Role.TRAINEE), target, False, True)
        sit(gen_user(Role.TRAINEE), target, True, False)
        sit(gen_user(Role.TRAINEE), target, True, False)
        # another site's attempts must not count for this site's trainer
        sit(gen_user(Role.TRAINEE, site_name="别的项目管理处"), target, True, True)
    auth.login(Role.TRAINER)
    html = client.get("/quiz/analysis").get_data(as_text=True)
    assert "应急处置考核(4 份)" in html
    row = html.split(f"<code>{drawn.id}</code>")[1].split("</tr>")[0]
    assert "<td>4</td>" in row and "50.0%" in row
    assert "负区分度" in row and "-100.0" in row
    # option frequencies are reported in the bank's letters (the attempt saw them shuffled)
    bank_letter = "ABCDEFGH"[drawn.permutation["ABCDEFGH".index(drawn.question.answer)]]
    assert f'<span class="quiz-letter">{bank_letter}</span>' in row
    assert "50%(2) ✓" in row
    assert "作答人次过少" in row  # 4 attempts < 5
    # questions everyone got right are too easy
    assert "过易" in html


def test_admin_sees_every_site(app, client, auth, content):  # noqa: F811
    target, _ = first_single(app)
    with app.app_context():
        sit(gen_user(Role.TRAINEE), target, True, True)
        sit(gen_user(Role.TRAINEE, site_name="别的项目管理处"), target, True, True)
    auth.login(Role.ADMIN)
    html = client.get("/quiz/analysis").get_data(as_text=True)
    assert "全部项目" in html and "应急处置考核(2 份)" in html
