"""Certification through the app: automatic issue, the trainee's page, notices, revocation, approval,
the cohort matrix, the public verification page and Open Badges JSON, access rules and the CLI."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from simulator.certification import service
from simulator.certification.evaluate import add_months
from simulator.certification.models import Certificate, CertificationEvent, CertificationNotice
from simulator.extensions import db
from simulator.models import Attempt, QuizAttempt, Role, User, utcnow
from tests.certification.conftest import earn_basic, empathy_turn, gen_attempt, gen_quiz, load_world
from tests.conftest import gen_user

pytestmark = pytest.mark.db


def certificates(user_id: int) -> list[Certificate]:
    return list(db.session.execute(db.select(Certificate).where(Certificate.user_id == user_id)
                                   .order_by(Certificate.id)).scalars())


def events(cert_id: int) -> list[str]:
    return list(db.session.execute(db.select(CertificationEvent.kind).where(
        CertificationEvent.certificate_id == cert_id).order_by(CertificationEvent.id)).scalars())


def test_trainee_sees_progress_then_the_level_earned(world, client, auth):
    trainee = auth.login(Role.TRAINEE)
    page = client.get("/certification/").get_data(as_text=True)
    assert 'data-level="basic" data-status="in_progress"' in page
    assert "尚未通过《基础认证考核》" in page and "还需以考核模式再通过 1 个投诉处理类情景" in page
    assert "还没有考核记录" in page
    with world.app_context():
        user = db.session.get(User, trainee.id)
        gen_attempt(user, "c1", 62)  # below 70: not enough, and the page says why
        gen_attempt(user, "c2", 90, mode="practice")  # practice never counts
    page = client.get("/certification/").get_data(as_text=True)
    assert "最近一次《漏水投诉》考核 62 分,低于 70 分" in page
    with world.app_context():
        user = db.session.get(User, trainee.id)
        attempt = gen_attempt(user, "c1", 84, turns=[empathy_turn(100), empathy_turn(50)])
        quiz = gen_quiz(user, True)
        attempt_id, quiz_id = attempt.id, quiz.id
    page = client.get("/certification/").get_data(as_text=True)
    assert 'data-level="basic" data-status="certified"' in page
    assert f"记录 #{attempt_id}" in page and f"记录 #{quiz_id}" in page
    assert "下载证书 PDF" in page
    assert 'data-level="advanced" data-status="in_progress"' in page
    assert "考核《电梯困人》" in page  # the next step for the emergency requirement
    assert "共情 <strong>75.0</strong>" in page  # the skill profile from the stored turns
    with world.app_context():
        [cert] = certificates(trainee.id)
        assert cert.issued_at is not None and cert.expires_at is not None and cert.revoked_at is None
        assert cert.programme_version and cert.holder_username == trainee.username
        assert events(cert.id) == ["issued"]
        issued = db.session.execute(db.select(CertificationEvent).filter_by(certificate_id=cert.id)).scalar_one()
        assert issued.actor_id is None  # automatic: the system issued it
    # viewing again issues nothing more
    client.get("/certification/")
    with world.app_context():
        assert len(certificates(trainee.id)) == 1


def test_home_notice_for_a_level_earned_can_be_dismissed(world, client, auth):
    trainee = auth.login(Role.TRAINEE)
    with world.app_context():
        earn_basic(db.session.get(User, trainee.id))
    home = client.get("/").get_data(as_text=True)
    assert "恭喜!您已取得「前台接待」证书" in home
    notice_id = int(re.search(r"/certification/notices/(\d+)/dismiss", home).group(1))
    response = client.post(f"/certification/notices/{notice_id}/dismiss")
    assert response.status_code == 303
    assert "恭喜" not in client.get("/").get_data(as_text=True)


def _issued_certificate(app, **user_fields) -> tuple[int, int, str]:
    with app.app_context():
        user = gen_user(Role.TRAINEE, **user_fields)
        earn_basic(user)
        service.refresh([user.id])
        [cert] = certificates(user.id)
        return user.id, cert.id, cert.code


def test_verify_page_is_public_and_shows_only_the_masked_name_and_dates(world, client):
    _, _, code = _issued_certificate(world, display_name="李大管", username="T9001")
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-status="valid"' in html and "此证书真实有效" in html
    assert "李*管" in html and "李大管" not in html and "T9001" not in html
    assert "前台接待" in html
    assert client.get("/verify/not-a-code").status_code == 404


def test_revocation_by_a_trainer_needs_a_reason_and_shows_on_the_verify_page(world, client, auth):
    user_id, cert_id, code = _issued_certificate(world)
    trainer = auth.login(Role.TRAINER)
    breakdown = client.get(f"/certification/cohort/{user_id}/test-ladder/basic")
    assert breakdown.status_code == 200 and "撤销此证书" in breakdown.get_data(as_text=True)
    response = client.post(f"/certification/certificates/{cert_id}/revoke", data={"reason": "  "},
                           follow_redirects=True)
    assert "撤销证书须填写原因" in response.get_data(as_text=True)
    with world.app_context():
        assert db.session.get(Certificate, cert_id).revoked_at is None
    response = client.post(f"/certification/certificates/{cert_id}/revoke", data={"reason": "考核代答"},
                           follow_redirects=True)
    assert "已撤销" in response.get_data(as_text=True)
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-status="revoked"' in html and "考核代答" not in html  # the reason stays internal
    with world.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.revoked_by_id == trainer.id and cert.revoke_reason == "考核代答"
        assert events(cert_id) == ["issued", "revoked"]
        assert db.session.execute(db.select(CertificationNotice.kind).filter_by(certificate_id=cert_id,
                                                                               kind="revoked")).scalar_one()
        # revoked stays revoked: the same evidence does not issue it again
        service.refresh([user_id])
        assert len(certificates(user_id)) == 1
    page = client.get(f"/certification/cohort/{user_id}/test-ladder/basic").get_data(as_text=True)
    assert 'data-status="revoked"' in page and "考核代答" in page


def test_open_badges_assertion_badge_class_and_issuer(world, client):
    user_id, cert_id, code = _issued_certificate(world)
    assertion = client.get(f"/badges/assertions/{code}.json")
    assert assertion.status_code == 200 and assertion.mimetype == "application/ld+json"
    body = assertion.get_json()
    assert body["@context"] == "https://w3id.org/openbadges/v2" and body["type"] == "Assertion"
    assert body["id"].endswith(f"/badges/assertions/{code}.json")
    assert body["verification"] == {"type": "hosted"}
    assert body["recipient"]["hashed"] is True and body["recipient"]["identity"].startswith("sha256$")
    assert body["issuedOn"].endswith("Z") and body["expires"] > body["issuedOn"]
    badge = client.get(body["badge"].replace("http://localhost", "")).get_json()
    assert badge["type"] == "BadgeClass" and badge["name"] == "测试认证 · 前台接待"
    assert client.get(badge["image"].replace("http://localhost", "")).mimetype == "image/svg+xml"
    issuer = client.get(badge["issuer"].replace("http://localhost", "")).get_json()
    assert issuer["type"] == "Issuer" and issuer["name"] == "测试中心"
    with world.app_context():
        trainer = gen_user(Role.TRAINER)
        service.revoke(db.session.get(Certificate, cert_id), trainer, "测试撤销")
    gone = client.get(f"/badges/assertions/{code}.json")
    assert gone.status_code == 410 and gone.get_json()["revoked"] is True


def test_a_trainee_cannot_see_another_trainees_progress_or_certificate(world, client, auth):
    other_id, cert_id, code = _issued_certificate(world)
    auth.login(Role.TRAINEE)
    assert client.get(f"/certification/certificates/{cert_id}.pdf").status_code == 404
    assert client.get(f"/certification/cohort/{other_id}/test-ladder/basic").status_code == 403
    assert client.get("/certification/cohort").status_code == 403
    assert client.post(f"/certification/certificates/{cert_id}/revoke", data={"reason": "x"}).status_code == 403
    with world.app_context():
        notice = db.session.execute(db.select(CertificationNotice).filter_by(user_id=other_id)).scalars().first()
    assert client.post(f"/certification/notices/{notice.id}/dismiss").status_code == 404
    assert "已撤销" not in client.get(f"/verify/{code}").get_data(as_text=True)  # the public page still works


def test_staff_of_another_site_cannot_see_or_act(world, client, auth):
    other_id, cert_id, _ = _issued_certificate(world)
    auth.login(Role.TRAINER, site_name="别的项目管理处")
    assert client.get(f"/certification/cohort/{other_id}/test-ladder/basic").status_code == 404
    assert client.get(f"/certification/certificates/{cert_id}.pdf").status_code == 404
    assert client.post(f"/certification/certificates/{cert_id}/revoke", data={"reason": "x"}).status_code == 404
    matrix = client.get("/certification/cohort").get_data(as_text=True)
    assert "还没有学员账号" in matrix
    with world.app_context():
        assert db.session.get(Certificate, cert_id).revoked_at is None


def test_hr_sees_the_cohort_but_cannot_revoke(world, client, auth):
    other_id, cert_id, _ = _issued_certificate(world)
    auth.login(Role.HR)
    assert client.get("/certification/cohort").status_code == 200
    page = client.get(f"/certification/cohort/{other_id}/test-ladder/basic").get_data(as_text=True)
    assert "撤销此证书" not in page
    assert client.post(f"/certification/certificates/{cert_id}/revoke", data={"reason": "x"}).status_code == 403
    assert client.get(f"/certification/certificates/{cert_id}.pdf").status_code == 200


def test_trainer_approval_issues_a_pending_certificate(app, client, auth):
    with app.app_context():
        load_world(approval="trainer")
        user = gen_user(Role.TRAINEE)
        earn_basic(user)
        gen_attempt(user, "e1", 85, turns=[empathy_turn(100), empathy_turn(100)])
        service.refresh([user.id])
        basic, advanced = certificates(user.id)
        assert basic.issued_at is not None and advanced.issued_at is None
        assert events(advanced.id) == ["requested"]
        user_id, pending_id = user.id, advanced.id
    trainer = auth.login(Role.TRAINER)
    page = client.get(f"/certification/cohort/{user_id}/test-ladder/advanced").get_data(as_text=True)
    assert 'data-status="pending"' in page and "批准并颁发" in page
    assert client.get("/verify/" + certificates_code(app, pending_id)).status_code == 404  # not public yet
    client.post(f"/certification/certificates/{pending_id}/approve")
    with app.app_context():
        cert = db.session.get(Certificate, pending_id)
        assert cert.issued_at is not None and cert.approved_by_id == trainer.id
        assert events(pending_id) == ["requested", "approved", "issued"]


def certificates_code(app, cert_id: int) -> str:
    with app.app_context():
        return db.session.get(Certificate, cert_id).code


def test_cohort_filters_and_rows(world, client, auth):
    now = utcnow()
    with world.app_context():
        expiring = gen_user(Role.TRAINEE, username="A-expiring")
        expired = gen_user(Role.TRAINEE, username="B-expired")
        gen_user(Role.TRAINEE, username="C-new")
        for user in (expiring, expired):
            earn_basic(user)
        service.refresh([expiring.id, expired.id], now)
        soon = certificates(expiring.id)[0]
        soon.issued_at, soon.expires_at = now - timedelta(days=355), now + timedelta(days=10)
        # its evidence is as old as the certificate: nothing inside the renewal window renews it yet
        for attempt in db.session.execute(db.select(Attempt).filter_by(user_id=expiring.id)).scalars():
            attempt.finished_at = now - timedelta(days=356)
        lapsed = certificates(expired.id)[0]
        lapsed.issued_at, lapsed.expires_at = now - timedelta(days=400), now - timedelta(days=35)
        db.session.commit()
        site_id = expiring.site_id
        rows = service.cohort_rows([site_id], now)
        assert {(r.username, r.level_id) for r in rows} >= {("A-expiring", "basic"), ("C-new", "advanced")}
        assert [r.username for r in service.cohort_rows([site_id], now, "expiring")] == ["A-expiring"]
        assert [(r.username, r.level_id) for r in service.cohort_rows([site_id], now, "expired")] == [
            ("B-expired", "basic")]
        unmet = {(r.username, r.level_id) for r in service.cohort_rows([site_id], now, "unmet")}
        assert ("C-new", "basic") in unmet and ("A-expiring", "basic") not in unmet
        with pytest.raises(ValueError, match="未知的筛选条件"):
            service.cohort_rows([site_id], now, "bogus")
    auth.login(Role.TRAINER)
    page = client.get("/certification/cohort?filter=expiring").get_data(as_text=True)
    assert 'data-trainee="A-expiring"' in page and 'data-trainee="B-expired"' not in page
    assert client.get("/certification/cohort?filter=bogus").status_code == 404


def test_cohort_reads_one_query_per_table_whatever_the_number_of_trainees(world):
    def count_queries(n: int) -> int:
        with world.app_context():
            users = [gen_user(Role.TRAINEE, site_name=f"项目{n}") for _ in range(n)]
            for user in users:
                earn_basic(user)
                gen_attempt(user, "e1", 75, turns=[empathy_turn(100)])
            service.refresh([u.id for u in users])
            site_id = users[0].site_id
            statements = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                rows = service.cohort_rows([site_id], utcnow())
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            assert len({r.user_id for r in rows}) == n
            return len(statements)

    assert count_queries(1) == count_queries(6)


def test_certify_run_records_lapses_and_notices_once(world, runner):
    with world.app_context():
        user = gen_user(Role.TRAINEE)
        earn_basic(user)
        user_id = user.id
    first = runner.invoke(args=["certify", "run"])
    assert first.exit_code == 0, first.output
    assert "颁发 1" in first.output
    again = runner.invoke(args=["certify", "run"])
    assert "颁发 0" in again.output and "新通知 0" in again.output and "记录过期 0" in again.output
    with world.app_context():
        [cert] = certificates(user_id)
        now = utcnow()
        cert.issued_at, cert.expires_at = now - timedelta(days=380), now - timedelta(days=15)
        for attempt in db.session.execute(db.select(Attempt).filter_by(user_id=user_id)).scalars():
            attempt.finished_at = now - timedelta(days=381)  # old evidence: it no longer earns the level
        for quiz in db.session.execute(db.select(QuizAttempt).filter_by(user_id=user_id)).scalars():
            quiz.started_at = quiz.submitted_at = now - timedelta(days=381)
        db.session.commit()
        cert_id = cert.id
    lapsed = runner.invoke(args=["certify", "run"])
    assert "颁发 0" in lapsed.output and "记录过期 1" in lapsed.output and "新通知 1" in lapsed.output
    twice = runner.invoke(args=["certify", "run"])
    assert "记录过期 0" in twice.output and "新通知 0" in twice.output
    with world.app_context():
        assert events(cert_id) == ["issued", "expired"]
        kinds = set(db.session.execute(db.select(CertificationNotice.kind).filter_by(user_id=user_id)).scalars())
        assert kinds == {"earned", "expired"}


def test_a_programme_update_does_not_revoke_and_new_candidates_meet_the_new_rule(world, client, auth):
    trainee = auth.login(Role.TRAINEE)
    with world.app_context():
        user = db.session.get(User, trainee.id)
        gen_attempt(user, "c1", 75)
        gen_quiz(user, True)
        service.refresh([user.id])
        newcomer = gen_user(Role.TRAINEE)
        gen_attempt(newcomer, "c1", 75)
        gen_quiz(newcomer, True)
        load_world(complaint_min=90)  # content update: a stricter complaint requirement
        report = service.refresh([user.id, newcomer.id])
        assert report.issued == 0
        assert certificates(newcomer.id) == []
        [cert] = certificates(user.id)
        assert cert.revoked_at is None
    page = client.get("/certification/").get_data(as_text=True)
    assert 'data-level="basic" data-status="certified"' in page


@pytest.mark.app_config(DISPLAY_TZ="Asia/Shanghai")
def test_dates_are_shown_in_the_site_time_zone(world, client):
    _, cert_id, code = _issued_certificate(world)
    with world.app_context():
        cert = db.session.get(Certificate, cert_id)
        cert.issued_at = datetime(2026, 1, 15, 20, 30)  # 04:30 on the 16th in Shanghai
        cert.expires_at = datetime(2099, 1, 15, 20, 30)
        db.session.commit()
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "2026-01-16" in html and "2026-01-15" not in html
    world.config["DISPLAY_TZ"] = "UTC"
    assert "2026-01-15" in client.get(f"/verify/{code}").get_data(as_text=True)


def test_content_load_stores_the_shipped_programme(app, runner):
    result = runner.invoke(args=["content", "load"])
    assert result.exit_code == 0, result.output
    assert "programme: 新增" in result.output
    with app.app_context():
        [(programme, row)] = service.current_programmes()
        assert row.version == programme.version
    lint = runner.invoke(args=["certify", "lint"])
    assert lint.exit_code == 0 and "认证方案检查通过" in lint.output


def test_renewal_inside_the_window_issues_a_new_certificate_that_keeps_the_time_left(world, client, auth):
    trainee = auth.login(Role.TRAINEE)
    now = utcnow()
    with world.app_context():
        user = db.session.get(User, trainee.id)
        gen_attempt(user, "c1", 80, now - timedelta(days=340))
        gen_quiz(user, True, now - timedelta(days=340))
        service.refresh([user.id], now - timedelta(days=339))
        [old] = certificates(user.id)
        old_expiry = old.expires_at
        assert service.refresh([user.id], now).renewed == 0  # the window is open, but no fresh evidence
    page = client.get("/certification/").get_data(as_text=True)
    assert 'data-level="basic" data-status="renewal_open"' in page
    assert "复认证窗口已于" in page and 'data-requirement="cx" data-state="expired"' in page
    home = client.get("/").get_data(as_text=True)
    assert "复认证窗口已开放" in home
    with world.app_context():
        gen_attempt(db.session.get(User, trainee.id), "c2", 77)
    page = client.get("/certification/").get_data(as_text=True)
    assert 'data-level="basic" data-status="certified"' in page
    with world.app_context():
        old, new = certificates(trainee.id)
        assert new.renewal_of_id == old.id and events(new.id) == ["renewed"]
        assert new.expires_at == add_months(old_expiry, 12)
        assert old.revoked_at is None
    assert "复认证完成" in client.get("/").get_data(as_text=True)
