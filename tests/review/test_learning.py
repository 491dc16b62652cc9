"""A corrected reply becomes an example for the scorer: regression report first, retraining as a job, the new
version scores later turns, and the examples survive a restart and a fresh clone (they live in the database).

Retraining is kept fast the way tests/scoring/test_artefact.py does it: on two scenarios' corpus only
(``SCORER_RETRAIN_SCENARIOS``), a few seconds instead of a minute.
"""

from __future__ import annotations

import re
import shutil

import pytest

from simulator import create_app
from simulator.content import current_version
from simulator.extensions import db
from simulator.models import Attempt, ContentPublication, Job, ReviewAudit, ScorerExample, ScorerVersion, Turn
from simulator.play import attempts as play_attempts
from simulator.play import scorer as play_scorer
from tests.conftest import PASSWORD, TEST_CONFIG, gen_user
from tests.review.conftest import SCENARIO

pytestmark = [pytest.mark.db, pytest.mark.app_config(SCORER_RETRAIN_SCENARIOS=[SCENARIO, "phone-fee-inquiry"])]


@pytest.fixture
def folder(loaded, tmp_path):
    loaded.config["SCORER_FOLDER"] = str(tmp_path / "scorer")
    return tmp_path / "scorer"


def login(client, username: str) -> None:
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"username": username, "password": PASSWORD}).status_code == 303


def correct_and_promote(client, played, kind: str) -> int:
    url = f"/review/attempts/{played.attempt_id}/turns/{played.turn_ids[0]}"
    assert client.post(url, data={"verdict": "wrong", "band": "优秀", "reason": "道歉、时限都有"}).status_code == 303
    response = client.post(f"{url}/promote", data={"kind": kind})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/examples/(\d+)$", response.headers["Location"]).group(1))


def test_an_example_is_reported_saved_and_scores_later_turns(loaded, client, played, folder):
    with loaded.app_context():
        trainer = gen_user("trainer").username
        trainee = db.session.get(Attempt, played.attempt_id).user
        reply, trainee_name = db.session.get(Turn, played.turn_ids[0]).reply, trainee.username
    login(client, trainer)
    example_id = correct_and_promote(client, played, "example")
    page = client.get(f"/review/examples/{example_id}").get_data(as_text=True)
    assert "data-regression-report" in page and "保存并启用新模型" in page
    with loaded.app_context():
        example = db.session.get(ScorerExample, example_id)
        version = db.session.execute(db.select(ScorerVersion)).scalar_one()
        job = db.session.execute(db.select(Job).where(Job.kind == "review_retrain")).scalar_one()
        assert job.status == "done" and job.result["version"] == version.version
        assert example.status == "pending" and example.grade == 3 and not version.active
        assert version.report["examined"] > 1 and version.basis == []
        assert f"data-changed>{len(version.report['changed'])}<" in page
        new_version = version.version

    assert client.post(f"/review/examples/{example_id}/save").status_code == 303
    with loaded.app_context():
        assert db.session.get(ScorerExample, example_id).status == "saved"
        assert db.session.get(ScorerVersion, version.id).active
        audit = db.session.execute(db.select(ReviewAudit).where(ReviewAudit.subject == "scorer.version")).scalar_one()
        assert (audit.old, audit.new) == (None, new_version)

    # a trainee's next reply is scored by the new version, and the corrected reply is remembered
    login(client, trainee_name)
    start = client.post(f"/play/start/{SCENARIO}", data={"mode": "assessment"})
    attempt_id = int(start.headers["Location"].rstrip("/").split("/")[-1])
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        outcome = play_attempts.submit_reply(attempt, reply, 1, "tok")
        assert outcome.turn.scorer_version == new_version
        assert outcome.turn.breakdown["decided_by"] == f"correction:{example.example_id}"
        assert outcome.turn.band == "优秀"

    # restart (a new process): the saved version is loaded from its folder
    play_scorer._loaded.clear()
    restarted = create_app({**TEST_CONFIG, **{k: loaded.config[k] for k in (
        "SQLALCHEMY_DATABASE_URI", "SCORER_FOLDER", "JOBS_FOLDER", "SCORER_RETRAIN_SCENARIOS")}})
    with restarted.app_context():
        assert play_scorer.active_model().version == new_version

    # a fresh clone with the database restored: the model folder is gone, the examples are not
    shutil.rmtree(folder)
    play_scorer._loaded.clear()
    with restarted.app_context():
        assert play_scorer.active_model() is None  # the repository's model until retrained
        from simulator.review import learning

        rebuilt = learning.rebuild(db.session.get(type(trainee), trainee.id))
        assert rebuilt.status == "done", rebuilt.error
        row = db.session.get(ScorerVersion, rebuilt.result["scorer_version"])
        assert row.basis == [example_id] and row.version == new_version  # same data, same model version
        learning.activate(db.session.get(type(trainee), trainee.id), row)
        db.session.commit()
        model = play_scorer.active_model()
        assert model.version == new_version and model.memory_ids == [example.example_id]
        # the "restarted process" holds its own pool: close it, or its connections are collected open later
        db.session.remove()
        db.engine.dispose()


def test_a_reference_is_added_to_the_node_after_its_report(loaded, client, played, folder):
    with loaded.app_context():
        trainer = gen_user("trainer").username
        reply = db.session.get(Turn, played.turn_ids[0]).reply
        before = current_version("scenario", SCENARIO).id
    login(client, trainer)
    example_id = correct_and_promote(client, played, "reference")
    page = client.get(f"/review/examples/{example_id}").get_data(as_text=True)
    assert "data-regression-report" in page
    assert f'href="/review/attempts/{played.attempt_id}#turn-1" data-back-to-attempt' in page  # back to the attempt
    assert client.post(f"/review/examples/{example_id}/save").status_code == 303
    with loaded.app_context():
        row = current_version("scenario", SCENARIO)
        assert row.id != before and row.origin == "authored"
        # authoring's publish history names who made the new version
        publication = db.session.execute(db.select(ContentPublication).where(
            ContentPublication.key == SCENARIO, ContentPublication.content_id == row.id)).scalar_one()
        assert (publication.action, publication.user.username) == ("publish", trainer)
        assert reply in row.data["nodes"]["opening"]["references"]
        assert db.session.execute(db.select(ScorerVersion).where(ScorerVersion.active.is_(True))).scalar_one()
    # promoting the same reply again is refused: it is a reference now
    response = client.post(f"/review/attempts/{played.attempt_id}/turns/{played.turn_ids[0]}/promote",
                           data={"kind": "reference"})
    assert response.status_code == 422 and "已经是该节点的参考答复" in response.get_data(as_text=True)


def test_a_stale_report_cannot_be_saved_and_a_discard_keeps_the_scorer(loaded, client, played, folder):
    with loaded.app_context():
        trainer = gen_user("trainer").username
    login(client, trainer)
    first = correct_and_promote(client, played, "example")
    url = f"/review/attempts/{played.attempt_id}/turns/{played.turn_ids[1]}"
    client.post(url, data={"verdict": "ok"})
    second = int(re.search(r"/examples/(\d+)$", client.post(f"{url}/promote", data={"kind": "example"})
                           .headers["Location"]).group(1))
    assert client.post(f"/review/examples/{first}/save").status_code == 303
    response = client.post(f"/review/examples/{second}/save", follow_redirects=True)
    assert "回归报告已过期" in response.get_data(as_text=True)
    client.post(f"/review/examples/{second}/discard")
    with loaded.app_context():
        assert db.session.get(ScorerExample, second).status == "discarded"
        active = db.session.execute(db.select(ScorerVersion).where(ScorerVersion.active.is_(True))).scalar_one()
        assert active.candidate_id == first


def test_authorings_try_reply_and_samples_score_with_the_active_model_as_play_does(loaded, client, played, folder):
    from simulator.author import service as author

    with loaded.app_context():
        trainer = gen_user("trainer")
        trainer_name, trainer_id = trainer.username, trainer.id
        turn = db.session.get(Turn, played.turn_ids[0])
        reply, node_id = turn.reply, turn.node
    login(client, trainer_name)
    example_id = correct_and_promote(client, played, "example")
    assert client.post(f"/review/examples/{example_id}/save").status_code == 303
    with loaded.app_context():
        scenario = play_attempts.scenario_of(current_version("scenario", SCENARIO))
        in_play = play_attempts._score(reply, scenario, node_id)  # the path a trainee's reply takes
        assert in_play.decided_by.startswith("correction:")  # the retrained model remembers the correction
        user = db.session.get(type(db.session.get(Attempt, played.attempt_id).user), trainer_id)
        draft = author.create_copy(user, SCENARIO)
        tried = author.try_reply(draft, node_id, reply)
        assert (tried.score, tried.band, tried.decided_by) == (in_play.score, in_play.band, in_play.decided_by)
        author.add_sample(draft, node_id, reply, in_play.band)
        [sample] = author.sample_results(draft)
        assert (sample.score, sample.band) == (in_play.score, in_play.band) and sample.ok
